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
    let names_at = usize::try_from(u64_at(file, header(names_index)? + 0x18)?).ok()?;
    (0..count).find_map(|i| {
        let at = header(i)?;
        let start = names_at.checked_add(u32_at(file, at)?)?;
        let rest = file.get(start..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        (&rest[..end] == name).then(|| u64_at(file, at + 0x20))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_has_relocated_data_and_other_files_have_none() {
        // Test binaries are position-independent executables with vtables.
        let exe = std::env::current_exe().unwrap();
        let size = relocated_data_bytes(&exe).expect("an ELF64 test binary");
        assert!(size > 0);
        assert_eq!(relocated_data_bytes(Path::new(file!())), None);
        assert_eq!(relocated_data_bytes(Path::new("/nonexistent")), None);
    }

    #[test]
    fn a_truncated_or_foreign_header_is_none_not_a_panic() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        for cut in [0, 3, 16, 0x40, 200] {
            assert_eq!(
                section_size(&exe[..cut], b".data.rel.ro"),
                None,
                "cut at {cut}"
            );
        }
        let mut big_endian = exe.clone();
        big_endian[5] = 2;
        assert_eq!(section_size(&big_endian, b".data.rel.ro"), None);
        assert_eq!(section_size(&exe, b".no-such-section"), None);
    }
}
