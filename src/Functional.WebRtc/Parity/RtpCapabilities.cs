using Functional.WebRtc.Core.Signaling;
using LanguageExt;

namespace Functional.WebRtc;

/// <summary>
/// What this stack can send or receive of one kind (W3C RTCRtpCapabilities): the codecs of a media engine (RTX
/// entries too, as "video/rtx" with their apt) and the URIs of its header extensions.
/// </summary>
public sealed record RtpCapabilities(Arr<RtpCodecCapability> Codecs, Arr<string> HeaderExtensions)
{
    internal static RtpCapabilities Of(MediaKind kind, MediaEngine? engine)
    {
        engine ??= MediaEngine.Default;
        return new RtpCapabilities(
            engine.CodecsFor(kind).Map(c => new RtpCodecCapability(c.MimeType, c.ClockRate, c.Channels, c.Fmtp)),
            engine.ExtensionsFor(kind).Map(h => h.Uri).Distinct().ToArr());
    }
}

public sealed partial class RtpSender
{
    /// <summary>The codecs and header extensions a sender of <paramref name="kind"/> can use (W3C RTCRtpSender.getCapabilities); the default media engine when null.</summary>
    public static RtpCapabilities GetCapabilities(MediaKind kind, MediaEngine? engine = null) => RtpCapabilities.Of(kind, engine);
}

public sealed partial class RtpReceiver
{
    /// <summary>The codecs and header extensions a receiver of <paramref name="kind"/> can take (W3C RTCRtpReceiver.getCapabilities); the default media engine when null.</summary>
    public static RtpCapabilities GetCapabilities(MediaKind kind, MediaEngine? engine = null) => RtpCapabilities.Of(kind, engine);
}
