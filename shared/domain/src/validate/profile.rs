//! R16: a practitioner's registration numbers and scheduling step.

/// R16: an NPI is 10 digits whose last is the Luhn check digit of the
/// number prefixed with 80840.
pub fn valid_npi(npi: &str) -> bool {
    if npi.len() != 10 || !npi.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let full = format!("80840{npi}");
    let sum: u32 = full
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// R16: 10 characters ending in X (the NUCC code form, e.g. 207Q00000X).
pub fn valid_taxonomy(code: &str) -> bool {
    code.len() == 10 && code.ends_with('X') && code[..9].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// R16
pub const SCHEDULING_STEPS: [u32; 7] = [5, 10, 15, 20, 30, 45, 60];

#[cfg(test)]
mod tests {
    use super::*;

    // R16
    #[test]
    fn npi_luhn_with_the_80840_prefix() {
        assert!(valid_npi("1234567893"));
        assert!(valid_npi("1245319599"));
        assert!(!valid_npi("1234567890"));
        assert!(!valid_npi("123456789"));
        assert!(!valid_npi("12345678a3"));
    }

    // R16
    #[test]
    fn taxonomy_codes() {
        assert!(valid_taxonomy("207Q00000X"));
        assert!(!valid_taxonomy("207Q00000Y"));
        assert!(!valid_taxonomy("207Q0000X"));
    }
}
