#![no_main]

libfuzzer_sys::fuzz_target!(init: yun_fuzz::init("domain_xml"), |data: &[u8]| {
    yun_fuzz::domain_xml::run(data);
});
