using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Core.Media;

/// <summary>
/// Splits one encoded frame (or audio sample) into RTP payloads of at most <c>maxPayloadSize</c> bytes.
/// A payloader is a value: codecs with per-frame state (VP8/VP9 PictureID) return their next state.
/// </summary>
public interface IRtpPayloader
{
    /// <summary>RTP clock rate of the codec (90 kHz video, 48 kHz Opus, 8 kHz G.711 and G.722).</summary>
    uint ClockRate { get; }
    /// <summary>True for video: the marker bit goes on the last packet of a frame (RFC 3551 section 4.1 leaves audio unmarked).</summary>
    bool MarksFrameEnd { get; }
    /// <summary>RTP timestamp units per payload byte when a sample is split over packets (G.711, G.722), or 0 when all packets share the frame's timestamp.</summary>
    int TimestampUnitsPerByte { get; }
    /// <summary>The payloads (empty when the frame is empty or <paramref name="maxPayloadSize"/> is too small) and the next payloader.</summary>
    (Seq<Bytes> Payloads, IRtpPayloader Next) Payload(ReadOnlySpan<byte> frame, int maxPayloadSize);
}

/// <summary>Turns the RTP payloads of one frame back into the frame, and finds where frames start.</summary>
public interface IRtpDepacketizer
{
    /// <summary>True when this payload begins a frame (VP8 S=1 and PID=0, VP9 B=1, H.264 not a middle FU-A, AV1 Z=0, audio always).</summary>
    bool IsFrameStart(ReadOnlySpan<byte> payload);
    /// <summary>True when this payload ends a frame: the RTP marker for video (RFC 3551 4.1; VP9 also its E bit), every packet for audio.</summary>
    bool IsFrameEnd(ReadOnlySpan<byte> payload, bool marker) => marker;
    /// <summary>The frame carried by these payloads (in sequence order): VP8/VP9 bitstream, H.264 Annex B, AV1 OBUs with sizes, audio as is.</summary>
    Either<RtcError, Bytes> Depacketize(Seq<Bytes> payloads);
}

internal static class PayloadHelpers
{
    /// <summary>Concatenates the per-packet results of a stateless depacketizer.</summary>
    public delegate bool PerPacket(ReadOnlySpan<byte> payload, System.Buffers.IBufferWriter<byte> output, out RtcError? error);

    public static Either<RtcError, Bytes> Concat(Seq<Bytes> payloads, PerPacket perPacket)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>(payloads.Sum(p => p.Length) + 16);
        foreach (var p in payloads)
        {
            if (!perPacket(p.Span, output, out var error)) return error!;
        }
        return new Bytes(output.WrittenSpan.ToArray());
    }

    public static RtcError Bad(string message) => new RtcError.Syntax(message);
}
