using System.Security.Cryptography;

namespace Functional.WebRtc.Core.Srtp;

/// <summary>The session keys of one direction: the SRTP ones and the SRTCP ones.</summary>
internal sealed record SrtpSessionKeys(
    byte[] RtpEncryptionKey, byte[] RtpAuthKey, byte[] RtpSalt,
    byte[] RtcpEncryptionKey, byte[] RtcpAuthKey, byte[] RtcpSalt);

/// <summary>
/// The SRTP key derivation function (RFC 3711 4.3) with key_derivation_rate 0, so r = 0 and keys are derived once.
/// The PRF is AES in counter mode keyed with the master key (AES-128 or, for AEAD_AES_256_GCM, AES-256: RFC 6188 / RFC 7714 11).
/// </summary>
public static class SrtpKeyDerivation
{
    /// <summary>Labels of RFC 3711 4.3.2 (SRTP) and 4.3.2 / 4.3.3 (SRTCP).</summary>
    public const byte RtpEncryptionLabel = 0x00, RtpAuthLabel = 0x01, RtpSaltLabel = 0x02,
        RtcpEncryptionLabel = 0x03, RtcpAuthLabel = 0x04, RtcpSaltLabel = 0x05;

    /// <summary>
    /// Fills <paramref name="output"/> with PRF(master key, x) where x = (label || r) XOR master salt, r = 0
    /// (RFC 3711 4.3.1). The salt is the 112-bit AES-CM salt or the 96-bit AEAD salt, right-padded with zeros.
    /// </summary>
    public static void Derive(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, byte label, Span<byte> output)
    {
        if (masterSalt.Length > 14) throw new ArgumentException("master salt longer than 112 bits", nameof(masterSalt));
        Span<byte> iv = stackalloc byte[16];
        masterSalt.CopyTo(iv);
        iv[7] ^= label; // key_id = label || r (48 bits) sits in the low 56 bits of the 112-bit x
        using var ctr = new AesCounterMode(masterKey, allowAesNi: false);
        ctr.Keystream(iv, output);
    }

    internal static SrtpSessionKeys DeriveSessionKeys(SrtpProfileParameters p, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt)
    {
        if (masterKey.Length != p.MasterKeyLength) throw new ArgumentException($"master key must be {p.MasterKeyLength} octets", nameof(masterKey));
        if (masterSalt.Length != p.MasterSaltLength) throw new ArgumentException($"master salt must be {p.MasterSaltLength} octets", nameof(masterSalt));
        byte[] key = masterKey.ToArray(), salt = masterSalt.ToArray();
        byte[] Make(byte label, int length)
        {
            var bytes = new byte[length];
            if (length > 0) Derive(key, salt, label, bytes);
            return bytes;
        }
        try
        {
            return new SrtpSessionKeys(
            Make(RtpEncryptionLabel, p.MasterKeyLength), Make(RtpAuthLabel, p.AuthKeyLength), Make(RtpSaltLabel, p.MasterSaltLength),
            Make(RtcpEncryptionLabel, p.MasterKeyLength), Make(RtcpAuthLabel, p.AuthKeyLength), Make(RtcpSaltLabel, p.MasterSaltLength));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    internal static void Wipe(SrtpSessionKeys keys)
    {
        CryptographicOperations.ZeroMemory(keys.RtpEncryptionKey);
        CryptographicOperations.ZeroMemory(keys.RtpAuthKey);
        CryptographicOperations.ZeroMemory(keys.RtcpEncryptionKey);
        CryptographicOperations.ZeroMemory(keys.RtcpAuthKey);
    }
}
