//! The one two-digit-year rule shared by every reader.
//!
//! BAI2 (`YYMMDD`), MT940 (`YYMMDD`) and bank CSV profiles with `%y` write
//! years with two digits. All of them map a two-digit year into the same
//! hundred-year window, so one file never reads `75` as 1975 while another
//! reads it as 2075.

/// Two-digit years below this are 20YY, the rest 19YY: the window is
/// 1980-2079. Electronic statements start in the 1980s (SWIFT MT940 and
/// BAI version 1 in the early 1980s, BAI2 in 1987), so `80`-`99` can only
/// be archives of that time, and `00`-`79` covers every statement to come
/// for the next half century.
pub const YEAR_PIVOT_YY: u32 = 80;

/// The four-digit year of a two-digit year `yy` (0-99) under
/// [`YEAR_PIVOT_YY`]: `26` is 2026, `95` is 1995.
pub fn year_from_two_digits(yy: u32) -> u32 {
    if yy < YEAR_PIVOT_YY {
        2000 + yy
    } else {
        1900 + yy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_1980_to_2079() {
        assert_eq!(year_from_two_digits(0), 2000);
        assert_eq!(year_from_two_digits(26), 2026);
        assert_eq!(year_from_two_digits(79), 2079);
        assert_eq!(year_from_two_digits(80), 1980);
        assert_eq!(year_from_two_digits(99), 1999);
    }
}
