using Functional.WebRtc.Core.Dtls;
using LanguageExt;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>Settings of a <see cref="DtlsEndpoint"/>.</summary>
public sealed record DtlsOptions
{
    public static readonly DtlsOptions Default = new();

    /// <summary>The whole handshake must finish within this (BouncyCastle's default is forever).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>SRTP profiles in our order of preference (offered by a client, chosen by a server).</summary>
    public IReadOnlyList<DtlsSrtpProfile> SrtpProfiles { get; init; } = DtlsSrtpProfiles.Default;
    /// <summary>Largest datagram we send during the handshake (handshake messages are fragmented to fit).</summary>
    public int Mtu { get; init; } = 1200;
    /// <summary>Largest datagram we accept (peers on loopback or with a larger MTU may send more than <see cref="Mtu"/>).</summary>
    public int ReceiveLimit { get; init; } = 2048;
    /// <summary>
    /// When the transport first repeats an unanswered flight (on top of BouncyCastle's own 1 s, 2 s, 4 s ... 60 s
    /// retransmissions); doubles on each repeat. Zero turns the repetition off.
    /// </summary>
    public TimeSpan InitialRetransmitTimeout { get; init; } = TimeSpan.FromMilliseconds(400);
    /// <summary>Cap on the doubling of the repeat interval.</summary>
    public TimeSpan MaxRetransmitTimeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>How many times one flight is repeated by the transport.</summary>
    public int MaxFlightRepeats { get; init; } = 8;
    /// <summary>Refuse peers that do not negotiate the extended master secret (RFC 7627). Offered either way.</summary>
    public bool RequireExtendedMasterSecret { get; init; }
    /// <summary>Received datagrams waiting for the DTLS thread beyond this are dropped.</summary>
    public int MaxQueuedDatagrams { get; init; } = 1024;
    /// <summary>How long Close waits for the DTLS thread to end.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// After an AES-GCM handshake, protect and unprotect application_data records ourselves (AES-NI) instead of in
    /// BouncyCastle's managed record layer. False keeps every record in BouncyCastle (for comparison and fallback).
    /// </summary>
    public bool FastApplicationData { get; init; } = true;
}

/// <summary>What a completed handshake gives the rest of the stack (SRTP keys, the peer's identity).</summary>
/// <param name="SrtpProfile">The negotiated use_srtp profile (None when the peer offered none we support).</param>
/// <param name="KeyingMaterial">EXTRACTOR-dtls_srtp output, <c>SrtpProfile.KeyingMaterialLength()</c> bytes (RFC 5764 section 4.2).</param>
/// <param name="PeerCertificate">The peer's leaf certificate, DER.</param>
/// <param name="PeerFingerprint">Its SHA-256 fingerprint (it matched one of the expected fingerprints).</param>
/// <param name="Role">The role we played.</param>
/// <param name="CipherSuite">The negotiated TLS cipher suite number.</param>
/// <param name="ExtendedMasterSecret">Whether RFC 7627 was negotiated.</param>
public sealed record DtlsHandshakeResult(
    DtlsSrtpProfile SrtpProfile,
    byte[] KeyingMaterial,
    byte[] PeerCertificate,
    Fingerprint PeerFingerprint,
    DtlsRole Role,
    int CipherSuite,
    bool ExtendedMasterSecret)
{
    /// <summary>The keying material split into our (local) and the peer's (remote) SRTP master keys and salts.</summary>
    public LanguageExt.Either<Core.RtcError, SrtpKeys> SrtpKeys() =>
        DtlsSrtpProfiles.SplitKeyingMaterial(SrtpProfile, KeyingMaterial, Role == DtlsRole.Client);
}
