//! Field checks shared by request bodies; each adds to a `FieldErrors` under the field's name.

use super::error::FieldErrors;

/// A required display name: not blank, at most `max` characters, no control characters.
pub fn name(errors: &mut FieldErrors, field: &str, value: &str, max: usize) {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.add(field, "must not be empty");
    } else if trimmed.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    } else if trimmed.chars().any(char::is_control) {
        errors.add(field, "must not contain control characters");
    }
}

/// Optional free text of at most `max` characters.
pub fn text(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) {
    if let Some(v) = value
        && v.chars().count() > max
    {
        errors.add(field, format!("must be at most {max} characters"));
    }
}

/// A plausible email address (one `@`, a dot in the domain, no spaces).
pub fn email(errors: &mut FieldErrors, field: &str, value: &str) {
    let v = value.trim();
    let ok = v.len() <= 254
        && !v.contains(char::is_whitespace)
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if !ok {
        errors.add(field, "must be a valid email address");
    }
}

/// A password: 8 to 256 characters.
pub fn password(errors: &mut FieldErrors, field: &str, value: &str) {
    let n = value.chars().count();
    if n < 8 {
        errors.add(field, "must be at least 8 characters");
    } else if n > 256 {
        errors.add(field, "must be at most 256 characters");
    }
}

/// An RFC 3339 time in the future, returned in stored form.
pub fn future_time(errors: &mut FieldErrors, field: &str, value: &str) -> Option<String> {
    match crate::db::parse_time(value) {
        Some(t) if t > crate::db::now() => Some(t),
        Some(_) => {
            errors.add(field, "must be in the future");
            None
        }
        None => {
            errors.add(field, "must be an RFC 3339 date-time");
            None
        }
    }
}
