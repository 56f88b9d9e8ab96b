namespace Functional.WebRtc.Core.Dtls;

/// <summary>
/// The AES-GCM cipher suites whose application data we protect ourselves (RFC 5288, RFC 5289), and the split of
/// their key block (RFC 5246 section 6.3: client_write_MAC_key and server_write_MAC_key are empty for AEAD suites).
/// </summary>
public static class DtlsAeadSuites
{
    public const int TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xC02B;
    public const int TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xC02C;
    public const int TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xC02F;
    public const int TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xC030;

    /// <summary>The implicit part of the nonce, GCMNonce.salt (RFC 5288 section 3).</summary>
    public const int FixedIvLength = 4;

    /// <summary>The AES key length of an AES-GCM suite: 16 or 32; 0 for any other suite (left to BouncyCastle).</summary>
    public static int KeyLength(int cipherSuite) => cipherSuite switch
    {
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => 16,
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 or TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => 32,
        _ => 0,
    };

    /// <summary>How many octets of key_block = PRF(master_secret, "key expansion", server_random + client_random) to derive.</summary>
    public static int KeyBlockLength(int keyLength) => 2 * keyLength + 2 * FixedIvLength;
}

/// <summary>One direction's AEAD key material: the AES key and the 4-octet implicit salt.</summary>
public sealed record DtlsAeadKey(byte[] Key, byte[] Salt);

/// <summary>Both directions' keys, from the key block in RFC 5246 section 6.3 order.</summary>
public sealed record DtlsAeadKeys(DtlsAeadKey Client, DtlsAeadKey Server)
{
    /// <summary>
    /// Splits a key block: client_write_key, server_write_key, client_write_IV, server_write_IV.
    /// False when the key length is not 16 or 32 or the block has the wrong size.
    /// </summary>
    public static bool TrySplit(ReadOnlySpan<byte> keyBlock, int keyLength, out DtlsAeadKeys keys)
    {
        keys = null!;
        if (keyLength is not (16 or 32) || keyBlock.Length != DtlsAeadSuites.KeyBlockLength(keyLength)) return false;
        var ivAt = 2 * keyLength;
        const int iv = DtlsAeadSuites.FixedIvLength;
        keys = new DtlsAeadKeys(
            new DtlsAeadKey(keyBlock[..keyLength].ToArray(), keyBlock.Slice(ivAt, iv).ToArray()),
            new DtlsAeadKey(keyBlock.Slice(keyLength, keyLength).ToArray(), keyBlock.Slice(ivAt + iv, iv).ToArray()));
        return true;
    }

    /// <summary>(what we write with, what we read with) for our role.</summary>
    public (DtlsAeadKey Write, DtlsAeadKey Read) For(DtlsRole role) =>
        role == DtlsRole.Client ? (Client, Server) : (Server, Client);
}
