import BootCrypto
