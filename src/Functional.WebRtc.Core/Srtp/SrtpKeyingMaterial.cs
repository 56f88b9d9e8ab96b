using LanguageExt;

namespace Functional.WebRtc.Core.Srtp;

/// <summary>
/// The master keys and salts of both directions, split out of the DTLS exporter output
/// (label "EXTRACTOR-dtls_srtp", RFC 5764 4.2):
/// client_write_SRTP_master_key | server_write_SRTP_master_key | client_write_SRTP_master_salt | server_write_SRTP_master_salt.
/// "Local" protects what we send; "remote" unprotects what the peer sends.
/// </summary>
public sealed record SrtpKeyingMaterial(
    SrtpProtectionProfile Profile,
    Arr<byte> LocalMasterKey,
    Arr<byte> LocalMasterSalt,
    Arr<byte> RemoteMasterKey,
    Arr<byte> RemoteMasterSalt)
{
    /// <summary>
    /// Splits exporter output by DTLS role: the DTLS client sends with the client_write keys (RFC 5764 4.2).
    /// Fails (never throws) when the length does not match the profile.
    /// </summary>
    public static Either<RtcError, SrtpKeyingMaterial> FromDtlsExport(
        SrtpProtectionProfile profile, ReadOnlySpan<byte> exported, bool isDtlsClient)
    {
        if (!SrtpProfiles.TryFromId((ushort)profile, out _))
            return new RtcError.NotSupported($"SRTP protection profile 0x{(ushort)profile:x4} is not supported");
        var p = profile.Parameters();
        if (exported.Length != p.KeyingMaterialLength)
            return new RtcError.InvalidAccess(
                $"{profile} needs {p.KeyingMaterialLength} octets of DTLS-SRTP keying material, got {exported.Length}");
        int k = p.MasterKeyLength, s = p.MasterSaltLength;
        var clientKey = new Arr<byte>(exported[..k].ToArray());
        var serverKey = new Arr<byte>(exported.Slice(k, k).ToArray());
        var clientSalt = new Arr<byte>(exported.Slice(2 * k, s).ToArray());
        var serverSalt = new Arr<byte>(exported.Slice(2 * k + s, s).ToArray());
        return isDtlsClient
            ? new SrtpKeyingMaterial(profile, clientKey, clientSalt, serverKey, serverSalt)
            : new SrtpKeyingMaterial(profile, serverKey, serverSalt, clientKey, clientSalt);
    }

    /// <summary>The material the peer holds: local and remote swapped.</summary>
    public SrtpKeyingMaterial Mirror() => this with
    {
        LocalMasterKey = RemoteMasterKey, LocalMasterSalt = RemoteMasterSalt,
        RemoteMasterKey = LocalMasterKey, RemoteMasterSalt = LocalMasterSalt,
    };
}
