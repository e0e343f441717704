//! Front matter of files a reviewer may have edited: reading never panics,
//! and flipping `draft` changes that value and nothing else.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkpost::post::front_matter;

fuzz_target!(|text: &str| {
    let Ok(fm) = front_matter::read(text) else {
        return;
    };
    let flipped = front_matter::set_draft(text, &fm, !fm.draft);
    let again = front_matter::read(&flipped).expect("a flipped file still reads");
    assert_eq!(again.draft, !fm.draft);
    assert_eq!(again.fields.len(), fm.fields.len());
    assert_eq!(front_matter::set_draft(&flipped, &again, fm.draft), text);
});
