//! How much of a binary the dynamic loader writes before `main`: the size of its
//! `.data.rel.ro`, the read-only data that holds pointers (vtables, tables of `&str`,
//! static slices). In a position-independent executable (the default, for address space
//! layout randomisation) every pointer there is relocated at start, so each of those pages
//! is faulted in and copied on write whether or not the process ever reads it. That, not
//! the functions' own init code, is most of what still separates them from hello world
//! (`docs/architecture.md`, "Cold start").

use std::path::Path;

/// Little-endian ELF64 only (the functions' build here); `None` for anything else.
pub fn relocated_data_bytes(path: &Path) -> Option<u64> {
    let file = std::fs::read(path).ok()?;
    section_size(&file, b".data.rel.ro")
}

fn read<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn u16_at(bytes: &[u8], at: usize) -> Option<usize> {
    read::<2>(bytes, at).map(|b| usize::from(u16::from_le_bytes(b)))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    read::<4>(bytes, at).and_then(|b| usize::try_from(u32::from_le_bytes(b)).ok())
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    read::<8>(bytes, at).map(u64::from_le_bytes)
}

/// The size of the section called `name`, through the section header table and its
/// string table; `None` when the file is not ELF64 little-endian or has no such section.
fn section_size(file: &[u8], name: &[u8]) -> Option<u64> {
    const ELF64: u8 = 2;
    const LITTLE_ENDIAN: u8 = 1;
    if file.get(..4)? != b"\x7fELF" || file.get(4)? != &ELF64 || file.get(5)? != &LITTLE_ENDIAN {
        return None;
    }
    let table = usize::try_from(u64_at(file, 0x28)?).ok()?;
    let entry = u16_at(file, 0x3a)?;
    let count = u16_at(file, 0x3c)?;
    let names_index = u16_at(file, 0x3e)?;
    let header = |i: usize| table.checked_add(i.checked_mul(entry)?);
    let names_at = usize::try_from(u64_at(file, header(names_index)?.checked_add(0x18)?)?).ok()?;
    (0..count).find_map(|i| {
        let at = header(i)?;
        let start = names_at.checked_add(u32_at(file, at)?)?;
        let rest = file.get(start..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        (&rest[..end] == name).then(|| u64_at(file, at.checked_add(0x20)?))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 file: the header, a section name table and three section headers
    /// (null, the name table, `.data.rel.ro`), each field at its place in the format, with
    /// distinct values in the neighbouring fields so that reading the wrong one shows.
    fn synthetic(relro_size: u64) -> Vec<u8> {
        let names = b"\0.shstrtab\0.data.rel.ro\0";
        let table = 64 + names.len();
        let mut file = vec![0u8; table + 3 * 64];
        file[..4].copy_from_slice(b"\x7fELF");
        file[4] = 2; // 64-bit
        file[5] = 1; // little-endian
        file[0x28..0x30].copy_from_slice(&(table as u64).to_le_bytes());
        file[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        file[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
        file[0x3e..0x40].copy_from_slice(&1u16.to_le_bytes());
        file[64..table].copy_from_slice(names);
        let mut section = |i: usize, name: u32, addr: u64, offset: u64, size: u64| {
            let at = table + i * 64;
            file[at..at + 4].copy_from_slice(&name.to_le_bytes());
            file[at + 0x10..at + 0x18].copy_from_slice(&addr.to_le_bytes());
            file[at + 0x18..at + 0x20].copy_from_slice(&offset.to_le_bytes());
            file[at + 0x20..at + 0x28].copy_from_slice(&size.to_le_bytes());
        };
        section(1, 1, 0, 64, names.len() as u64);
        section(2, 11, 0x5678, 0x1234, relro_size);
        file
    }

    #[test]
    fn the_size_is_read_from_the_named_sections_header() {
        assert_eq!(section_size(&synthetic(4242), b".data.rel.ro"), Some(4242));
        assert_eq!(section_size(&synthetic(7), b".data.rel.ro"), Some(7));
        assert_eq!(section_size(&synthetic(4242), b".shstrtab"), Some(24));
        assert_eq!(section_size(&synthetic(4242), b".text"), None);
    }

    #[test]
    fn this_test_binary_has_relocated_data_and_other_files_have_none() {
        // Test binaries are position-independent executables with vtables.
        let exe = std::env::current_exe().unwrap();
        assert!(relocated_data_bytes(&exe).expect("an ELF64 test binary") > 0);
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/coldstart/elf.rs");
        assert!(source.is_file());
        assert_eq!(relocated_data_bytes(&source), None);
        assert_eq!(relocated_data_bytes(Path::new("/nonexistent")), None);
    }

    #[test]
    fn a_truncated_foreign_or_hostile_header_is_none_not_a_panic() {
        let file = synthetic(4242);
        // The last cut ends inside `.data.rel.ro`'s size field.
        for cut in [0, 3, 16, 0x40, 100, file.len() - 64 + 0x24] {
            assert_eq!(
                section_size(&file[..cut], b".data.rel.ro"),
                None,
                "cut at {cut}"
            );
        }
        let mut big_endian = file.clone();
        big_endian[5] = 2;
        assert_eq!(section_size(&big_endian, b".data.rel.ro"), None);
        let mut far = file.clone();
        far[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(section_size(&far, b".data.rel.ro"), None);
        let mut near_end = file;
        near_end[0x28..0x30].copy_from_slice(&(u64::MAX - 0x10).to_le_bytes());
        assert_eq!(section_size(&near_end, b".data.rel.ro"), None);
    }
}
