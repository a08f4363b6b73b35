/** D0 CF 11 E0 A1 B1 1A E1: an OLE2 compound file (https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cfb/), the container of a password-protected Office file. */
export const OLE_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

export const isOleFile = (bytes: Uint8Array) => OLE_SIGNATURE.every((byte, index) => bytes[index] === byte);
