"""Key custody for the platform seal: where its private key lives, behind one small interface.

`SealKey` (base.py) is all the PDF signer needs. The key can be kept in memory from the
development PKI or a PKCS#12 file (local.py, pkcs12_file.py), on a PKCS#11 token such as an
HSM (pkcs11_token.py), or by a remote signing service that only ever sees digests (remote.py).
`seal_key_from` (factory.py) builds the one the configuration (config.py) names.
"""
