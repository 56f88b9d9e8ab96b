using LanguageExt;

namespace Functional.WebRtc.Core.Dtls;

/// <summary>DTLS-SRTP protection profiles (RFC 5764 section 4.1.2, RFC 7714 section 14.2), by their registry values.</summary>
public enum DtlsSrtpProfile : ushort
{
    None = 0,
    Aes128CmHmacSha1_80 = 0x0001,
    Aes128CmHmacSha1_32 = 0x0002,
    AeadAes128Gcm = 0x0007,
    AeadAes256Gcm = 0x0008,
}

public static class DtlsSrtpProfiles
{
    /// <summary>The WebRTC default preference: AES-128-GCM first, then AES-128-CM with HMAC-SHA1-80.</summary>
    public static readonly IReadOnlyList<DtlsSrtpProfile> Default = Array.AsReadOnly([DtlsSrtpProfile.AeadAes128Gcm, DtlsSrtpProfile.Aes128CmHmacSha1_80]);

    /// <summary>(master key length, master salt length) in bytes (RFC 5764 section 4.1.2; RFC 7714 section 12).</summary>
    public static (int Key, int Salt) KeyAndSaltLength(this DtlsSrtpProfile p) => p switch
    {
        DtlsSrtpProfile.Aes128CmHmacSha1_80 or DtlsSrtpProfile.Aes128CmHmacSha1_32 => (16, 14),
        DtlsSrtpProfile.AeadAes128Gcm => (16, 12),
        DtlsSrtpProfile.AeadAes256Gcm => (32, 12),
        _ => (0, 0),
    };

    /// <summary>
    /// Bytes to export with the "EXTRACTOR-dtls_srtp" label (RFC 5764 section 4.2):
    /// client key, server key, client salt, server salt: 2 * (key + salt). 60 for AES-CM-128, 56 for AES-128-GCM.
    /// </summary>
    public static int KeyingMaterialLength(this DtlsSrtpProfile p) => 2 * (p.KeyAndSaltLength().Key + p.KeyAndSaltLength().Salt);

    public static bool IsKnown(int value) => value is 0x0001 or 0x0002 or 0x0007 or 0x0008;

    /// <summary>
    /// The server's choice (RFC 5764 section 4.1.1): the first profile in <paramref name="serverPreference"/> that
    /// the client offered. None when nothing is in common.
    /// </summary>
    public static DtlsSrtpProfile Select(IEnumerable<DtlsSrtpProfile> serverPreference, IEnumerable<int> clientOffered) =>
        serverPreference.FirstOrDefault(p => clientOffered.Contains((int)p), DtlsSrtpProfile.None);

    /// <summary>
    /// Splits exported keying material into the four parts (RFC 5764 section 4.2), from our point of view:
    /// local = what we protect with, remote = what we unprotect with.
    /// </summary>
    public static Either<RtcError, SrtpKeys> SplitKeyingMaterial(DtlsSrtpProfile profile, ReadOnlySpan<byte> material, bool weAreClient)
    {
        var (k, s) = profile.KeyAndSaltLength();
        if (k == 0) return new RtcError.NotSupported($"no keys for SRTP profile {profile}");
        if (material.Length != 2 * (k + s)) return new RtcError.Range($"keying material for {profile} must be {2 * (k + s)} bytes, got {material.Length}");
        var clientKey = material[..k].ToArray();
        var serverKey = material.Slice(k, k).ToArray();
        var clientSalt = material.Slice(2 * k, s).ToArray();
        var serverSalt = material.Slice(2 * k + s, s).ToArray();
        return weAreClient
            ? new SrtpKeys(profile, clientKey, clientSalt, serverKey, serverSalt)
            : new SrtpKeys(profile, serverKey, serverSalt, clientKey, clientSalt);
    }
}

/// <summary>SRTP master keys and salts, split by direction.</summary>
public sealed record SrtpKeys(DtlsSrtpProfile Profile, byte[] LocalMasterKey, byte[] LocalMasterSalt, byte[] RemoteMasterKey, byte[] RemoteMasterSalt);
