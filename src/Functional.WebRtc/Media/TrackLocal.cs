using System.Security.Cryptography;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;

namespace Functional.WebRtc;

/// <summary>
/// What a track sends (Pion's RTPCodecCapability): the MIME type ("audio/opus", "video/VP8"), the RTP clock rate, the
/// channel count (audio) and optional fmtp parameters (H.264 profile, VP9 profile-id) used to pick the negotiated codec.
/// </summary>
public sealed record RtpCodecCapability(string MimeType, int ClockRate, int Channels = 0, string Fmtp = "")
{
    public static RtpCodecCapability Opus { get; } = new("audio/opus", 48000, 2, "minptime=10;useinbandfec=1");
    public static RtpCodecCapability Pcmu { get; } = new("audio/PCMU", 8000, 1);
    public static RtpCodecCapability Pcma { get; } = new("audio/PCMA", 8000, 1);
    public static RtpCodecCapability G722 { get; } = new("audio/G722", 8000, 1);
    public static RtpCodecCapability Vp8 { get; } = new("video/VP8", 90000);
    public static RtpCodecCapability Vp9 { get; } = new("video/VP9", 90000, 0, "profile-id=0");
    public static RtpCodecCapability H264 { get; } = new("video/H264", 90000, 0, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
    public static RtpCodecCapability Av1 { get; } = new("video/AV1", 90000);

    /// <summary>Audio when the MIME type starts with "audio/", video otherwise.</summary>
    public MediaKind Kind => MimeType.StartsWith("audio/", StringComparison.OrdinalIgnoreCase) ? MediaKind.Audio : MediaKind.Video;

    /// <summary>The encoding name as in rtpmap ("opus", "VP8").</summary>
    public string Name => MimeType[(MimeType.IndexOf('/') + 1)..];
}

/// <summary>
/// A local track (Pion's TrackLocal): ids for a=msid, a codec, and the senders it is bound to. Whatever the track
/// writes goes to every sender it is bound to, each rewriting SSRC and payload type to what its m-section negotiated.
/// </summary>
public abstract class TrackLocal
{
    private volatile RtpSender[] _bindings = [];
    private readonly object _bindLock = new();

    protected TrackLocal(RtpCodecCapability codec, string id, string streamId, string? rid = null)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (rid is not null && !Core.Signaling.SimulcastSend.IsValidRid(rid))
            throw new ArgumentException($"invalid rid '{rid}' (RFC 8851: 1 to {Core.Signaling.SimulcastSend.MaxRidLength} of A-Z a-z 0-9 - _)", nameof(rid));
        Codec = codec;
        Id = id;
        StreamId = string.IsNullOrEmpty(streamId) ? "-" : streamId;
        Rid = rid;
    }

    public string Id { get; }
    /// <summary>
    /// The RTP stream id (RFC 8852) of the simulcast layer this track feeds (Pion's RID()), or null for a track sent
    /// alone. Layers of one sender are tracks with the same id and stream id and different rids (RtpSender.AddEncoding).
    /// </summary>
    public string? Rid { get; }
    public string StreamId { get; }
    public RtpCodecCapability Codec { get; }
    public MediaKind Kind => Codec.Kind;

    /// <summary>How many senders send this track now.</summary>
    public int BindingCount => _bindings.Length;

    internal void Bind(RtpSender sender)
    {
        lock (_bindLock) if (!_bindings.Contains(sender)) _bindings = [.. _bindings, sender];
    }

    internal void Unbind(RtpSender sender)
    {
        lock (_bindLock) _bindings = _bindings.Where(s => s != sender).ToArray();
    }

    /// <summary>Hands one RTP packet to every bound sender (each copies it; the span is not kept).</summary>
    private protected void WriteToBindings(ReadOnlySpan<byte> packet)
    {
        foreach (var sender in _bindings) sender.SendRtp(this, packet);
    }
}

/// <summary>A track the application feeds with whole RTP packets (Pion's TrackLocalStaticRTP).</summary>
public sealed class TrackLocalStaticRtp : TrackLocal
{
    public TrackLocalStaticRtp(RtpCodecCapability codec, string id, string streamId, string? rid = null) : base(codec, id, streamId, rid) { }

    /// <summary>
    /// Sends one RTP packet on every sender of this track: the SSRC and payload type are rewritten to the negotiated ones,
    /// then it is protected with SRTP and sent on the selected ICE pair. Packets written before negotiation completes are dropped.
    /// Throws on a packet that is not RTP (shorter than 12 bytes or not version 2).
    /// </summary>
    public void WriteRtp(ReadOnlySpan<byte> packet)
    {
        if (!RtpPacketView.TryParse(packet, out _, out var error))
            throw new ArgumentException($"not an RTP packet: {error?.Message}", nameof(packet));
        WriteToBindings(packet);
    }

    public void WriteRtp(RtpPacket packet) => WriteRtp(packet.ToBytes().IfLeft(e => throw new ArgumentException(e.Message, nameof(packet))));
}

/// <summary>
/// A track the application feeds with encoded frames or audio samples (Pion's TrackLocalStaticSample): each sample is
/// packetized with the codec's payloader (VP8, VP9, H.264, AV1, Opus, G.711, G.722), with timestamps from the durations.
/// </summary>
public sealed class TrackLocalStaticSample : TrackLocal
{
    /// <summary>RTP packet size the payloader aims under (as Pion, to stay below common path MTUs with SRTP and headers).</summary>
    public const int Mtu = 1200;

    private readonly object _lock = new();
    private PacketizerState _packetizer;
    private readonly byte[] _scratch = new byte[Mtu + 256];

    public TrackLocalStaticSample(RtpCodecCapability codec, string id, string streamId, string? rid = null) : base(codec, id, streamId, rid)
    {
        var payloader = PayloaderFor(codec) ?? throw new NotSupportedException($"no payloader for {codec.MimeType}");
        var entropy = new Entropy(BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));
        _packetizer = Packetizer.Create(0, 0, payloader, Mtu, entropy).State;
    }

    /// <summary>The payloader for a codec by name, or null when the core has none.</summary>
    public static IRtpPayloader? PayloaderFor(RtpCodecCapability codec) => codec.Name.ToUpperInvariant() switch
    {
        "VP8" => new Vp8Payloader(),
        "VP9" => new Vp9Payloader(),
        "H264" => H264Payloader.Instance,
        "AV1" => Av1Payloader.Instance,
        "OPUS" => OpusPayloader.Instance,
        "PCMU" => SampleAudioPayloader.Pcmu,
        "PCMA" => SampleAudioPayloader.Pcma,
        "G722" => SampleAudioPayloader.G722,
        _ => null,
    };

    /// <summary>
    /// Packetizes one sample (a whole encoded frame, or an audio packet) lasting <paramref name="duration"/> and sends the
    /// packets as <see cref="TrackLocalStaticRtp.WriteRtp(ReadOnlySpan{byte})"/> does. The timestamp advances by the
    /// duration even when nobody is bound yet, so a stream stays continuous.
    /// </summary>
    public void WriteSample(ReadOnlySpan<byte> data, TimeSpan duration)
    {
        lock (_lock)
        {
            var step = Packetizer.Packetize(_packetizer, new MediaSample(Bytes.Copy(data), duration));
            _packetizer = step.State;
            foreach (var packet in step.Outputs)
            {
                if (!packet.TryWrite(_scratch, out var written)) continue;
                WriteToBindings(_scratch.AsSpan(0, written));
            }
        }
    }
}
