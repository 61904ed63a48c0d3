#![no_main]

libfuzzer_sys::fuzz_target!(init: yun_fuzz::init("config"), |data: &[u8]| {
    yun_fuzz::config::run(data);
});
