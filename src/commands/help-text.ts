export const NO_DEVICE_HELP =
  'Check that the key is plugged in. On Linux, access without root needs a udev rule (see README, "Linux access"); ' +
  'try `fido2-manage info --device sim` for the built-in virtual key.';
