//! Password hashing cost: argon2id with OWASP's parameters, as api-auth runs it.

use std::time::Instant;

use shared::auth::PasswordHasher;

pub async fn run() {
    let hasher = PasswordHasher::owasp();
    let rounds = 20;
    let started = Instant::now();
    let mut phc = String::new();
    for _ in 0..rounds {
        phc = hasher
            .hash("correct horse battery staple")
            .await
            .expect("hash");
    }
    let hash_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
    let started = Instant::now();
    for _ in 0..rounds {
        assert!(
            hasher
                .verify("correct horse battery staple", Some(&phc))
                .await
        );
    }
    let verify_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
    let started = Instant::now();
    for _ in 0..rounds {
        assert!(!hasher.verify("correct horse battery staple", None).await);
    }
    let dummy_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
    println!(
        "argon2id m=19 MiB t=2 p=1 ({} build), mean of {rounds}:",
        if cfg!(debug_assertions) {
            "debug, argon2 at opt-level 3"
        } else {
            "release"
        }
    );
    println!("  hash                       {hash_ms:.1} ms");
    println!("  verify (known user)        {verify_ms:.1} ms");
    println!("  verify (unknown, dummy)    {dummy_ms:.1} ms");
}
