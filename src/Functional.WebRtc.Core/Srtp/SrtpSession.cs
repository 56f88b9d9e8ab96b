using LanguageExt;

namespace Functional.WebRtc.Core.Srtp;

/// <summary>
/// Both directions of one DTLS-SRTP association: <see cref="Outbound"/> protects what we send with our (local) write
/// keys, <see cref="Inbound"/> unprotects what the peer sends with its write keys (RFC 5764 4.2).
/// </summary>
public sealed class SrtpSession : IDisposable
{
    private SrtpSession(SrtpContext outbound, SrtpContext inbound) { Outbound = outbound; Inbound = inbound; }

    public SrtpContext Outbound { get; }
    public SrtpContext Inbound { get; }
    public SrtpProtectionProfile Profile => Outbound.Profile;

    /// <summary>Builds both contexts from split keying material.</summary>
    public static SrtpSession Create(SrtpKeyingMaterial keys, SrtpOptions? options = null)
    {
        var outbound = SrtpContext.Create(keys.Profile, keys.LocalMasterKey.ToArray(), keys.LocalMasterSalt.ToArray(), options);
        var inbound = SrtpContext.Create(keys.Profile, keys.RemoteMasterKey.ToArray(), keys.RemoteMasterSalt.ToArray(), options);
        return new SrtpSession(outbound, inbound);
    }

    /// <summary>
    /// From what the DTLS handshake gives: the negotiated use_srtp profile id, the EXTRACTOR-dtls_srtp export
    /// (2 * (key + salt) octets) and our DTLS role. A typed error, never an exception, on a bad id or length.
    /// </summary>
    public static Either<RtcError, SrtpSession> FromDtls(ushort profileId, ReadOnlySpan<byte> exportedKeyingMaterial, bool isDtlsClient, SrtpOptions? options = null)
    {
        if (!SrtpProfiles.TryFromId(profileId, out var profile))
            return new RtcError.NotSupported($"SRTP protection profile 0x{profileId:x4} is not supported");
        return SrtpKeyingMaterial.FromDtlsExport(profile, exportedKeyingMaterial, isDtlsClient).Map(k => Create(k, options));
    }

    public SrtpResult ProtectRtp(Span<byte> buffer, int length, out int newLength) => Outbound.ProtectRtp(buffer, length, out newLength);
    public SrtpResult ProtectRtcp(Span<byte> buffer, int length, out int newLength) => Outbound.ProtectRtcp(buffer, length, out newLength);
    public SrtpResult UnprotectRtp(Span<byte> buffer, int length, out int newLength) => Inbound.UnprotectRtp(buffer, length, out newLength);
    public SrtpResult UnprotectRtcp(Span<byte> buffer, int length, out int newLength) => Inbound.UnprotectRtcp(buffer, length, out newLength);

    public void Dispose()
    {
        Outbound.Dispose();
        Inbound.Dispose();
    }
}
