#![no_main]

libfuzzer_sys::fuzz_target!(init: yun_fuzz::init("stats"), |data: &[u8]| {
    yun_fuzz::stats::run(data);
});
