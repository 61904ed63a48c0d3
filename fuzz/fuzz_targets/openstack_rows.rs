#![no_main]

libfuzzer_sys::fuzz_target!(init: yun_fuzz::init("openstack_rows"), |data: &[u8]| {
    yun_fuzz::openstack_rows::run(data);
});
