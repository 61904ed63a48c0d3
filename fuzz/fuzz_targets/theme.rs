#![no_main]

libfuzzer_sys::fuzz_target!(init: yun_fuzz::init("theme"), |data: &[u8]| {
    yun_fuzz::theme::run(data);
});
