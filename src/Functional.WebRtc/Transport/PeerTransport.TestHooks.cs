namespace Functional.WebRtc;

/// <summary>Hooks for tests that play a hostile but authenticated peer (internal; visible to the test projects only).</summary>
public sealed partial class PeerConnection
{
    /// <summary>
    /// Sends <paramref name="data"/> as one DTLS application-data record on this connection's association, beside what
    /// its own SCTP stack sends: to the peer it is an SCTP packet from an authenticated sender. False before DTLS
    /// connects or after it closes. Thread-safe (DtlsEndpoint.Send is).
    /// </summary>
    internal bool SendRawDtlsApplicationData(ReadOnlySpan<byte> data) => _dtls?.Send(data) ?? false;

    /// <summary>SRTCP compounds from the peer that passed authentication and were handed to the media layer (for tests).</summary>
    internal long SrtcpAccepted => Interlocked.Read(ref _rtcpReceived);
}
