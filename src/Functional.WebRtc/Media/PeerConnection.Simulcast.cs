using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Signaling;

namespace Functional.WebRtc;

/// <summary>
/// One encoding of <see cref="RtpTransceiverInit.SendEncodings"/> (W3C RTCRtpEncodingParameters in addTransceiver's
/// init): its rid, the track that feeds it (this stack sends what tracks write; it does not encode), and the values
/// SetParameters may change later. <paramref name="Track"/> may be left out for the encoding whose rid is the
/// transceiver's own track's rid (or for a single encoding).
/// </summary>
public sealed record RtpEncodingInit(string? Rid = null, TrackLocal? Track = null, bool Active = true,
    ulong? MaxBitrate = null, double? ScaleResolutionDownBy = null);

/// <summary>W3C RTCRtpTransceiverInit: the direction and the send encodings (simulcast layers, RFC 8853, when several).</summary>
public sealed record RtpTransceiverInit(Direction Direction = Direction.SendRecv, IReadOnlyList<RtpEncodingInit>? SendEncodings = null);

public sealed partial class PeerConnection
{
    /// <summary>
    /// Adds a new transceiver that sends <paramref name="track"/> (W3C addTransceiver(track, init)). With several
    /// <see cref="RtpTransceiverInit.SendEncodings"/> the sender sends simulcast: one layer per encoding, in order, each
    /// with its rid and its own track (tracks sharing the id and stream id of <paramref name="track"/>, each with that
    /// rid; <paramref name="track"/> feeds the first). Throws RtcTypeException or ArgumentException for bad encodings
    /// (a missing, invalid or repeated rid, a track whose rid differs), RtcRangeException for ScaleResolutionDownBy
    /// below 1, InvalidModificationException when a layer's track differs from the first in id, stream id or codec;
    /// all checked before the transceiver is added.
    /// </summary>
    public RtpSender AddTransceiver(TrackLocal track, RtpTransceiverInit? init = null)
    {
        ArgumentNullException.ThrowIfNull(track);
        init ??= new RtpTransceiverInit();
        var encodings = init.SendEncodings ?? [];
        var layers = LayerTracks(track, encodings);
        var outputs = CallAsync(new PeerInput.AddTransceiver(track.Kind, init.Direction, track.Id, track.StreamId)).GetAwaiter().GetResult();
        var transceiver = new RtpTransceiver(this, outputs.OfType<PeerOutput.Completed>().First().TransceiverIndex!.Value);
        var sender = new RtpSender(this, transceiver, track, transceiver.SenderSsrc);
        lock (_mediaLock) _senders = [.. _senders, sender];
        track.Bind(sender);
        EnsureRtcpTimer();
        foreach (var layer in layers.Skip(1)) sender.AddEncoding(layer);
        for (var i = 0; i < encodings.Count; i++)
            sender.InitEncoding(i, encodings[i].Active, encodings[i].MaxBitrate, encodings[i].ScaleResolutionDownBy);
        return sender;
    }

    /// <summary>The track of each encoding, checked before anything changes (W3C addTransceiver's sendEncodings checks).</summary>
    private static TrackLocal[] LayerTracks(TrackLocal track, IReadOnlyList<RtpEncodingInit> encodings)
    {
        if (encodings.Count > SimulcastSend.MaxEncodings)
            throw new RtcRangeException(new Core.RtcError.Range($"at most {SimulcastSend.MaxEncodings} encodings"));
        var layers = new TrackLocal[Math.Max(1, encodings.Count)];
        layers[0] = track;
        var rids = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < encodings.Count; i++)
        {
            var e = encodings[i];
            if (e.ScaleResolutionDownBy is < 1.0 or double.NaN)
                throw new RtcRangeException(new Core.RtcError.Range("scaleResolutionDownBy must be at least 1"));
            if (encodings.Count == 1 && e.Rid is null && (e.Track is null || ReferenceEquals(e.Track, track))) continue;
            if (!SimulcastSend.IsValidRid(e.Rid))
                throw new RtcTypeException(new Core.RtcError.Type($"encoding {i} needs a valid rid (RFC 8851: 1 to {SimulcastSend.MaxRidLength} of A-Z a-z 0-9 - _)"));
            if (!rids.Add(e.Rid!)) throw new RtcTypeException(new Core.RtcError.Type($"rid {e.Rid} is repeated"));
            var layer = i == 0 ? e.Track ?? track : e.Track ?? throw new ArgumentException($"encoding {i} ({e.Rid}) has no track", nameof(encodings));
            if (i == 0 && !ReferenceEquals(layer, track)) throw new ArgumentException("the first encoding is fed by the transceiver's track", nameof(encodings));
            if (layer.Rid != e.Rid) throw new ArgumentException($"encoding {i} has rid {e.Rid} but its track has rid {layer.Rid ?? "(none)"}", nameof(encodings));
            if (layer.Id != track.Id || layer.StreamId != track.StreamId || layer.Codec != track.Codec)
                throw new InvalidModificationException(new Core.RtcError.InvalidModification("a layer's track must have the id, stream id and codec of the first"));
            layers[i] = layer;
        }
        return layers;
    }
}
