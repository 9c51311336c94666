"""End-to-end tests: the synthesized dev environment deployed into a local AWS emulator, every
sign-in flow driven with boto3 and HTTP the way the mobile app drives them."""
