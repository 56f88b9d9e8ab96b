using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Core.Ice;

namespace Functional.WebRtc;

/// <summary>W3C RTCPeerConnectionState.</summary>
public enum PeerConnectionState { New, Connecting, Connected, Disconnected, Failed, Closed }

public static class ConnectionStates
{
    /// <summary>
    /// The connection state as a pure function of the ICE and DTLS transport states: the W3C RTCPeerConnectionState
    /// table, as Pion's updateConnectionState computes it. Closed wins; then failed; then disconnected; new while both
    /// transports are new or closed; connecting while either is on its way; connected when both are up (or closed by
    /// the peer after being up).
    /// </summary>
    public static PeerConnectionState Derive(bool isClosed, IceConnectionState ice, DtlsTransportState dtls) =>
        isClosed ? PeerConnectionState.Closed
        : ice == IceConnectionState.Failed || dtls == DtlsTransportState.Failed ? PeerConnectionState.Failed
        : ice == IceConnectionState.Disconnected ? PeerConnectionState.Disconnected
        : ice is IceConnectionState.New or IceConnectionState.Closed && dtls is DtlsTransportState.New or DtlsTransportState.Closed
            ? PeerConnectionState.New
        : ice is IceConnectionState.New or IceConnectionState.Checking || dtls is DtlsTransportState.New or DtlsTransportState.Connecting
            ? PeerConnectionState.Connecting
        : PeerConnectionState.Connected;

    public static string ToText(this PeerConnectionState s) => s.ToString().ToLowerInvariant();
    public static string ToText(this IceConnectionState s) => s.ToString().ToLowerInvariant();
    public static string ToText(this IceGatheringState s) => s.ToString().ToLowerInvariant();
}
