//! Test function that never polls its Runtime API: the gateway must refuse to start with it.

fn main() {
    println!("silent: never calling the Runtime API");
    loop {
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}
