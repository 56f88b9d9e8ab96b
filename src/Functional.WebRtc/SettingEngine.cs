using System.Net;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Transport.Dtls;

namespace Functional.WebRtc;

/// <summary>The DTLS role this side takes when it answers (Pion's SettingEngine.SetAnsweringDTLSRole).</summary>
public enum AnsweringDtlsRole { Active, Passive }

/// <summary>
/// Settings beyond the W3C configuration (Pion's SettingEngine): codecs, DTLS answering role, which addresses ICE
/// gathers on, a fixed random seed for reproducible runs, and an event log to record every input.
/// </summary>
public sealed record SettingEngine
{
    /// <summary>The codecs and header extensions to negotiate.</summary>
    public MediaEngine MediaEngine { get; init; } = MediaEngine.Default;
    public AnsweringDtlsRole AnsweringDtlsRole { get; init; } = AnsweringDtlsRole.Active;
    /// <summary>A fixed seed for every random choice of the core (ICE credentials, SSRCs, tie-breakers); random when null.</summary>
    public ulong? Seed { get; init; }
    /// <summary>Where to write the event log (one JSON line per input); nothing is recorded when null.</summary>
    public TextWriter? EventLog { get; init; }

    /// <summary>
    /// The local addresses ICE gathers host candidates on, one UDP socket each. The default is 127.0.0.1 only: a
    /// connection never reaches beyond the machine unless the application names the addresses it wants
    /// (e.g. from NetworkInterface.GetAllNetworkInterfaces()).
    /// </summary>
    public IReadOnlyList<IPAddress> IceAddresses { get; init; } = [IPAddress.Loopback];
    /// <summary>ICE-lite (RFC 8445 2.5), for servers with public addresses: host candidates only, always controlled.</summary>
    public bool IceLite { get; init; }
    /// <summary>ICE timers (pacing, retransmission, nomination delay, consent, disconnected/failed timeouts).</summary>
    public Core.Ice.IceTiming IceTiming { get; init; } = Core.Ice.IceTiming.Default;
    /// <summary>
    /// Keep a server-reflexive candidate equal to its host candidate (RFC 8445 5.1.3 says to drop it as redundant). Off by
    /// default; tests on loopback turn it on to see the srflx candidate a STUN server on 127.0.0.1 gives.
    /// </summary>
    public bool KeepRedundantServerReflexive { get; init; }
    /// <summary>DTLS settings (handshake timeout, SRTP profiles, retransmission).</summary>
    public DtlsOptions DtlsOptions { get; init; } = DtlsOptions.Default;
    /// <summary>
    /// The SCTP association's settings (MTU, receive window, initial congestion window). ManualConsume keeps received
    /// bytes in the receive window until the application's OnMessage handler has run: the back-pressure of a slow reader.
    /// The default also offers zero checksums (RFC 9653: DTLS already authenticates every SCTP packet), used only with a
    /// peer that offers them too.
    /// </summary>
    public Core.Sctp.SctpConfig Sctp { get; init; } = new() { InitialCwnd = 256 * 1024, ManualConsume = true, ZeroChecksum = true };
    /// <summary>
    /// SCTP packetization layer path MTU discovery (RFC 8899; on by default): once the association is up, probes with
    /// HEARTBEAT + PAD find the largest SCTP packet the path carries (up to one DTLS record, 2^14 bytes) and use it.
    /// Off: every SCTP packet stays at <see cref="Core.Sctp.SctpConfig.Mtu"/> (1200 bytes, as Pion and browsers send).
    /// This switch decides, whatever <see cref="Sctp"/>'s own PathMtuDiscovery says.
    /// </summary>
    public bool SctpPathMtuDiscovery { get; init; } = true;

    /// <summary>The SCTP settings with <see cref="SctpPathMtuDiscovery"/> applied.</summary>
    internal Core.Sctp.SctpConfig EffectiveSctp => Sctp with { PathMtuDiscovery = SctpPathMtuDiscovery };
}
