namespace Functional.WebRtc.Media;

/// <summary>
/// Frames per second of one RTP stream over the last second (W3C webrtc-stats framesPerSecond): a frame starts with each
/// packet whose RTP timestamp is newer than the last one (RFC 3550 5.1: the packets of one frame share a timestamp);
/// older timestamps (reordered packets, retransmissions) are not new frames. Not thread-safe: its owner locks.
/// </summary>
internal sealed class FrameRateMeter
{
    /// <summary>Frame starts remembered; more frames than this in one second read as this many.</summary>
    public const int Capacity = 256;

    private static readonly long Window = TimeSpan.FromSeconds(1).Ticks;
    private readonly long[] _starts = new long[Capacity]; // a ring of frame start times, oldest at _head
    private int _head, _count;
    private uint _lastTimestamp;
    private bool _started;

    /// <summary>Frames counted so far (W3C framesSent / framesReceived, by RTP timestamp).</summary>
    public long Frames { get; private set; }

    /// <summary>Accounts one packet with RTP timestamp <paramref name="rtpTimestamp"/> sent or received at <paramref name="at"/>.</summary>
    public void Packet(uint rtpTimestamp, TimeSpan at)
    {
        if (_started && (rtpTimestamp == _lastTimestamp || (int)(rtpTimestamp - _lastTimestamp) < 0)) return; // same or older frame
        _started = true;
        _lastTimestamp = rtpTimestamp;
        Frames++;
        if (_count == Capacity) { _head = (_head + 1) % Capacity; _count--; }
        _starts[(_head + _count) % Capacity] = at.Ticks;
        _count++;
    }

    /// <summary>Frames that started in the second before <paramref name="now"/> (a frame exactly one second old no longer counts).</summary>
    public int PerSecond(TimeSpan now)
    {
        var from = now.Ticks - Window;
        while (_count > 0 && _starts[_head] <= from) { _head = (_head + 1) % Capacity; _count--; }
        return _count;
    }
}
