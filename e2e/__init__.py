"""End-to-end harness: the local emulator, the deploy of cdk.out into it, the sign-in tool and the sandbox."""
