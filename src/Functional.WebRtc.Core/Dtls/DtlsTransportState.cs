namespace Functional.WebRtc.Core.Dtls;

/// <summary>The W3C RTCDtlsTransportState.</summary>
public enum DtlsTransportState
{
    New,
    Connecting,
    Connected,
    Closed,
    Failed,
}

/// <summary>The legal moves of <see cref="DtlsTransportState"/> (W3C webrtc-pc section 5.5).</summary>
public static class DtlsTransportStates
{
    /// <summary>new -> connecting -> connected | failed; anything -> closed; closed is terminal.</summary>
    public static bool CanMove(DtlsTransportState from, DtlsTransportState to) => (from, to) switch
    {
        (DtlsTransportState.Closed, _) => false,
        (_, DtlsTransportState.Closed) => true,
        (DtlsTransportState.New, DtlsTransportState.Connecting) => true,
        (DtlsTransportState.New or DtlsTransportState.Connecting, DtlsTransportState.Failed) => true,
        (DtlsTransportState.Connecting, DtlsTransportState.Connected) => true,
        (DtlsTransportState.Connected, DtlsTransportState.Failed) => true,
        _ => false,
    };

    public static string ToW3C(this DtlsTransportState s) => s.ToString().ToLowerInvariant();
}
