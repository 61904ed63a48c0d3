#![no_main]

libfuzzer_sys::fuzz_target!(init: yun_fuzz::init("clouds_yaml"), |data: &[u8]| {
    yun_fuzz::clouds_yaml::run(data);
});
