#![no_main]

libfuzzer_sys::fuzz_target!(init: yun_fuzz::init("next_link"), |data: &[u8]| {
    yun_fuzz::next_link::run(data);
});
