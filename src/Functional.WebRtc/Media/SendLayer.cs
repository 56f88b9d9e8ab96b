using System.Text;
using Functional.WebRtc.Media;

namespace Functional.WebRtc;

/// <summary>
/// One RTP stream of a sender (an encoding; a simulcast layer when the sender has several): the track feeding it, its
/// rid, SSRCs, retransmission history, counters, and what the application set through SetParameters. Owned by its
/// <see cref="RtpSender"/>, whose lock guards every field.
/// </summary>
internal sealed class SendLayer(TrackLocal? track, string? rid)
{
    public TrackLocal? Track = track;
    public readonly string? Rid = rid;
    /// <summary>The rid as the rtp-stream-id header extension carries it (RFC 8852 3.1: the ASCII text, no terminator).</summary>
    public readonly byte[] RidBytes = rid is null ? [] : Encoding.ASCII.GetBytes(rid);
    public uint Ssrc;
    public uint RtxSsrc;
    public ushort RtxSequence = (ushort)System.Security.Cryptography.RandomNumberGenerator.GetInt32(65536);
    public readonly byte[]?[] History = new byte[RtpSender.HistorySize][];
    public readonly int[] HistoryLength = new int[RtpSender.HistorySize];
    public readonly ushort[] HistorySeq = new ushort[RtpSender.HistorySize];
    public SendStatistics Stats;
    public long Retransmitted, HeaderBytes, RetransmittedBytes;
    public readonly FrameRateMeter Frames = new();

    // W3C RTCRtpEncodingParameters the application sets (setParameters): active gates sending; the others are kept as data.
    public bool Active = true;
    public ulong? MaxBitrate;
    public double? ScaleResolutionDownBy;
}

/// <summary>What outbound-rtp reports of one layer of a sender.</summary>
internal readonly record struct SendLayerStats(uint Ssrc, string? Rid, long Packets, long Octets, long HeaderBytes,
    long Retransmitted, long RetransmittedBytes, long Frames, int FramesPerSecond, bool Active);
