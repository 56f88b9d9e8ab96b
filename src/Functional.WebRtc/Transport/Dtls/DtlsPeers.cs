using System.Collections;
using Functional.WebRtc.Core.Dtls;
using Org.BouncyCastle.Crypto.Tls;
using BcCertificate = Org.BouncyCastle.Crypto.Tls.Certificate;
using BcCertificateRequest = Org.BouncyCastle.Crypto.Tls.CertificateRequest;
using BcHash = Org.BouncyCastle.Crypto.Tls.HashAlgorithm;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>What the BouncyCastle client and server share: our identity, the peer check, the SRTP choice, the export.</summary>
internal interface IDtlsSession
{
    DtlsCertificate Certificate { get; }
    DtlsOptions Options { get; }
    /// <summary>Checks the peer's chain against the SDP fingerprints (waits for them if not known yet). Throws a fatal alert on mismatch.</summary>
    void VerifyPeer(BcCertificate? chain);
    /// <summary>Called inside NotifyHandshakeComplete, while the master secret still exists.</summary>
    void HandshakeComplete(TlsContext context, DtlsSrtpProfile profile);
    void AlertReceived(byte level, byte description);
    void AlertRaised(byte level, byte description, string? message, Exception? cause);
}

internal static class DtlsSuites
{
    /// <summary>
    /// ECDHE with ECDSA certificates, AES-128-GCM first (what browsers negotiate), then what browsers also offer.
    /// ECDHE-RSA is offered by the client only, for peers that still use RSA certificates.
    /// </summary>
    public static readonly int[] Client =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    ];

    /// <summary>Our certificate is ECDSA, so a server can only pick ECDHE-ECDSA suites.</summary>
    public static readonly int[] Server =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    ];

    public static SignatureAndHashAlgorithm EcdsaSha256 => new(BcHash.sha256, SignatureAlgorithm.ecdsa);

    public static int HandshakeTimeoutMillis(DtlsOptions o) =>
        o.HandshakeTimeout <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue, o.HandshakeTimeout.TotalMilliseconds);

    public static int[] Profiles(DtlsOptions o) => o.SrtpProfiles.Select(p => (int)p).ToArray();
}

/// <summary>
/// The DTLS client: offers use_srtp, sends our certificate, checks the server's. With <paramref name="useNetCrypto"/>
/// (default <see cref="NetEc.Enabled"/>, true) the elliptic-curve math runs in .NET (<see cref="NetEcdheKeyExchange"/>, <see cref="NetEcdsaSignerCredentials"/>);
/// without, in BouncyCastle (kept for tests that pit one against the other).
/// </summary>
internal sealed class WebRtcDtlsClient(IDtlsSession session, bool? useNetCrypto = null) : DefaultTlsClient
{
    private readonly bool netCrypto = useNetCrypto ?? NetEc.Enabled;
    private IDtlsSession Session => session;
    private DtlsSrtpProfile selected = DtlsSrtpProfile.None;

    /// <summary>The key exchange of the handshake, once chosen (for tests).</summary>
    internal TlsKeyExchange? KeyExchange { get; private set; }
    /// <summary>The supported_groups to offer instead of BouncyCastle's (secp256r1, secp384r1); for tests.</summary>
    internal int[]? NamedCurves { get; init; }

    protected override TlsKeyExchange CreateECDheKeyExchange(int keyExchange) => KeyExchange = netCrypto
        ? new NetEcdheKeyExchange(keyExchange, mSupportedSignatureAlgorithms, mNamedCurves, mClientECPointFormats, mServerECPointFormats)
        : base.CreateECDheKeyExchange(keyExchange);

    private TlsSignerCredentials SignerCredentials() => netCrypto
        ? new NetEcdsaSignerCredentials(session.Certificate.Chain, session.Certificate.SigningKey, DtlsSuites.EcdsaSha256)
        : new DefaultTlsSignerCredentials(mContext, session.Certificate.Chain, session.Certificate.PrivateKey, DtlsSuites.EcdsaSha256);

    public override ProtocolVersion ClientVersion => ProtocolVersion.DTLSv12;
    public override ProtocolVersion MinimumVersion => ProtocolVersion.DTLSv12;
    public override int[] GetCipherSuites() => DtlsSuites.Client;
    public override int GetHandshakeTimeoutMillis() => DtlsSuites.HandshakeTimeoutMillis(session.Options);
    public override bool RequiresExtendedMasterSecret() => session.Options.RequireExtendedMasterSecret;

    public override IDictionary GetClientExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetClientExtensions());
        if (NamedCurves is { } curves)
        {
            mNamedCurves = curves;
            TlsEccUtilities.AddSupportedEllipticCurvesExtension(extensions, curves);
        }
        // RFC 5764 section 4.1.1: the profiles in our preference order, no MKI.
        TlsSRTPUtils.AddUseSrtpExtension(extensions, new UseSrtpData(DtlsSuites.Profiles(session.Options), []));
        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary serverExtensions)
    {
        base.ProcessServerExtensions(serverExtensions);
        var useSrtp = serverExtensions is null ? null : TlsSRTPUtils.GetUseSrtpExtension(serverExtensions);
        if (useSrtp is null) return;
        // RFC 5764 section 4.1.1: exactly one profile, one of ours; else illegal_parameter.
        var profiles = useSrtp.ProtectionProfiles;
        if (profiles is not { Length: 1 } || !session.Options.SrtpProfiles.Any(p => (int)p == profiles[0]))
            throw new TlsFatalAlert(AlertDescription.illegal_parameter);
        selected = (DtlsSrtpProfile)profiles[0];
    }

    /// <summary>Peers that omit renegotiation_info (RFC 5746) are fine for DTLS-SRTP: we never renegotiate.</summary>
    public override void NotifySecureRenegotiation(bool secureRenegotiation) { }

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        session.HandshakeComplete(mContext, selected);
    }

    public override void NotifyAlertReceived(byte alertLevel, byte alertDescription) => session.AlertReceived(alertLevel, alertDescription);
    public override void NotifyAlertRaised(byte alertLevel, byte alertDescription, string message, Exception cause) =>
        session.AlertRaised(alertLevel, alertDescription, message, cause);

    private sealed class Authentication(WebRtcDtlsClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(BcCertificate serverCertificate) => client.Session.VerifyPeer(serverCertificate);

        /// <summary>WebRTC authenticates both sides (RFC 8827 section 6.5): always answer the request with our certificate.</summary>
        public TlsCredentials GetClientCredentials(BcCertificateRequest certificateRequest) => client.SignerCredentials();
    }
}

/// <summary>
/// The DTLS server: requires and checks the client's certificate, chooses the SRTP profile. With <paramref name="useNetCrypto"/>
/// (default <see cref="NetEc.Enabled"/>, true) the elliptic-curve math runs in .NET; run it with <see cref="NetDtlsServerProtocol"/> so the client's
/// CertificateVerify is checked by .NET too.
/// </summary>
internal sealed class WebRtcDtlsServer(IDtlsSession session, bool? useNetCrypto = null) : DefaultTlsServer, ICertificateVerifyContext
{
    private readonly bool netCrypto = useNetCrypto ?? NetEc.Enabled;
    private DtlsSrtpProfile selected = DtlsSrtpProfile.None;
    private IList? requestedSignatureAlgorithms;
    private BcCertificate? clientCertificate;

    /// <summary>The key exchange of the handshake, once chosen (for tests).</summary>
    internal TlsKeyExchange? KeyExchange { get; private set; }

    TlsContext? ICertificateVerifyContext.Context => netCrypto ? mContext : null;
    IList? ICertificateVerifyContext.RequestedSignatureAlgorithms => requestedSignatureAlgorithms;
    BcCertificate? ICertificateVerifyContext.ClientCertificate => clientCertificate;
    Task<VerifyingKey?>? ICertificateVerifyContext.ClientKey => clientKey;
    private Task<VerifyingKey?>? clientKey;

    protected override TlsKeyExchange CreateECDheKeyExchange(int keyExchange) => KeyExchange = netCrypto
        ? new NetEcdheKeyExchange(keyExchange, mSupportedSignatureAlgorithms, mNamedCurves, mClientECPointFormats, mServerECPointFormats)
        : base.CreateECDheKeyExchange(keyExchange);

    protected override ProtocolVersion MaximumVersion => ProtocolVersion.DTLSv12;
    protected override ProtocolVersion MinimumVersion => ProtocolVersion.DTLSv12;
    protected override int[] GetCipherSuites() => DtlsSuites.Server;
    public override int GetHandshakeTimeoutMillis() => DtlsSuites.HandshakeTimeoutMillis(session.Options);
    public override bool RequiresExtendedMasterSecret() => session.Options.RequireExtendedMasterSecret;
    public override void NotifySecureRenegotiation(bool secureRenegotiation) { }

    protected override TlsSignerCredentials GetECDsaSignerCredentials() => netCrypto
        ? new NetEcdsaSignerCredentials(session.Certificate.Chain, session.Certificate.SigningKey, DtlsSuites.EcdsaSha256)
        : new DefaultTlsSignerCredentials(mContext, session.Certificate.Chain, session.Certificate.PrivateKey, DtlsSuites.EcdsaSha256);

    /// <summary>Ask for the client's certificate (without this BouncyCastle never requests it).</summary>
    public override BcCertificateRequest GetCertificateRequest()
    {
        var algorithms = new ArrayList
        {
            new SignatureAndHashAlgorithm(BcHash.sha256, SignatureAlgorithm.ecdsa),
            new SignatureAndHashAlgorithm(BcHash.sha384, SignatureAlgorithm.ecdsa),
            new SignatureAndHashAlgorithm(BcHash.sha512, SignatureAlgorithm.ecdsa),
            new SignatureAndHashAlgorithm(BcHash.sha256, SignatureAlgorithm.rsa),
            new SignatureAndHashAlgorithm(BcHash.sha384, SignatureAlgorithm.rsa),
            new SignatureAndHashAlgorithm(BcHash.sha1, SignatureAlgorithm.ecdsa),
            new SignatureAndHashAlgorithm(BcHash.sha1, SignatureAlgorithm.rsa),
        };
        requestedSignatureAlgorithms = algorithms;
        return new BcCertificateRequest([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign], algorithms, null);
    }

    /// <summary>An empty chain arrives here as a normal call: refuse it, WebRTC needs the client's certificate.</summary>
    public override void NotifyClientCertificate(BcCertificate clientCertificate)
    {
        this.clientCertificate = clientCertificate;
        // CertificateVerify needs this key: import it now (with NetEc.Overlap, while ClientKeyExchange is processed).
        if (netCrypto && !clientCertificate.IsEmpty)
        {
            var leaf = clientCertificate.GetCertificateAt(0);
            clientKey = NetEc.Start(() => NetEc.VerifyKey(leaf));
        }
        session.VerifyPeer(clientCertificate);
    }

    public override void ProcessClientExtensions(IDictionary clientExtensions)
    {
        base.ProcessClientExtensions(clientExtensions);
        var offered = clientExtensions is null ? null : TlsSRTPUtils.GetUseSrtpExtension(clientExtensions);
        if (offered?.ProtectionProfiles is { } profiles)
            selected = DtlsSrtpProfiles.Select(session.Options.SrtpProfiles, profiles);
    }

    public override IDictionary GetServerExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetServerExtensions());
        if (selected != DtlsSrtpProfile.None)
            TlsSRTPUtils.AddUseSrtpExtension(extensions, new UseSrtpData([(int)selected], []));
        return extensions;
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        session.HandshakeComplete(mContext, selected);
    }

    public override void NotifyAlertReceived(byte alertLevel, byte alertDescription) => session.AlertReceived(alertLevel, alertDescription);
    public override void NotifyAlertRaised(byte alertLevel, byte alertDescription, string message, Exception cause) =>
        session.AlertRaised(alertLevel, alertDescription, message, cause);
}
