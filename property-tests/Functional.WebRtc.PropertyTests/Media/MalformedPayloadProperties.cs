using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.PropertyTests.Rtp;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.PropertyTests.Media;

/// <summary>
/// "Malformed codec payloads never throw", for what PayloadProperties does not reach: the per-packet span APIs (VP8
/// TryGetPartition, VP9 TryGetData, H.264 TryDepacketize, AV1 OBU splitting and LEB128), keyframe checks, every
/// codec's own payloads mutated (VP8, VP9, H.264, AV1, Opus, G.711 and G.722), and the sample builder fed with
/// packets whose payloads are garbage.
/// </summary>
public class MalformedPayloadProperties
{
    private static readonly (string Name, IRtpPayloader Payloader, IRtpDepacketizer Depacketizer)[] Codecs =
    [
        ("VP8", new Vp8Payloader(), Vp8Depacketizer.Instance),
        ("VP9", new Vp9Payloader(), Vp9Depacketizer.Instance),
        ("H264", H264Payloader.Instance, H264Depacketizer.Instance),
        ("AV1", Av1Payloader.Instance, Av1Depacketizer.Instance),
        ("Opus", OpusPayloader.Instance, AudioDepacketizer.Instance),
        ("PCMU", SampleAudioPayloader.Pcmu, AudioDepacketizer.Instance),
        ("PCMA", SampleAudioPayloader.Pcma, AudioDepacketizer.Instance),
        ("G722", SampleAudioPayloader.G722, AudioDepacketizer.Instance),
    ];

    /// <summary>Every per-payload reader; true when each answer is a success or a typed failure.</summary>
    private static bool ReadPayload(ReadOnlySpan<byte> payload)
    {
        var n = 0;
        if (Vp8Depacketizer.TryGetPartition(payload, out _, out var vp8)) n += vp8.Length;
        if (Vp9Depacketizer.TryGetData(payload, out _, out var vp9)) n += vp9.Length;
        _ = Vp8Depacketizer.IsKeyFrame(payload);
        _ = Vp9Payloader.IsKeyFrame(payload);
        var writer = new ArrayBufferWriter<byte>();
        var h264 = H264Depacketizer.TryDepacketize(payload, writer, out var error);
        if (h264 == (error is not null)) return false;
        _ = Av1Obu.TrySplit(payload, []);
        _ = Av1Obu.TryReadLeb128(payload, out _, out _);
        foreach (var (_, _, d) in Codecs) { _ = d.IsFrameStart(payload); _ = d.IsFrameEnd(payload, false); }
        return n >= 0;
    }

    [Property(MaxTest = 500)]
    public bool RandomPayloadsNeverThrowTheSpanReaders(byte[] payload) => ReadPayload(payload);

    [Property(MaxTest = 300)]
    public Property EveryCodecsOwnPayloadsMutatedNeverThrow() =>
        Prop.ForAll(RtpGens.BytesOf(1, 4000).ToArbitrary(), Gen.Choose(0, 25_000_000).ToArbitrary(), (frame, x) =>
        {
            var (pos, value) = (x / 256, (byte)(x % 256));
            foreach (var (name, payloader, depacketizer) in Codecs)
            {
                var (payloads, _) = payloader.Payload(frame, 300);
                if (payloads.IsEmpty) continue; // an Opus frame over the limit is not sent
                var i = pos % payloads.Count;
                var mutated = payloads[i].ToArray();
                mutated[pos % mutated.Length] = value;
                var truncated = payloads[i].Span[..(pos % (payloads[i].Length + 1))].ToArray();
                foreach (var p in new[] { mutated, truncated })
                {
                    if (!ReadPayload(p)) return false.Label($"{name}: a span reader disagreed with its error");
                    var replaced = payloads.Select((b, k) => k == i ? (Bytes)p : b).ToSeq();
                    _ = depacketizer.Depacketize(replaced);
                    _ = depacketizer.Depacketize(Prelude.Seq1((Bytes)p));
                }
                _ = depacketizer.Depacketize(payloads.Rev());
            }
            return true.ToProperty();
        });

    [Property(MaxTest = 150)]
    public Property SampleBuilderFedGarbageNeverThrows() =>
        Prop.ForAll(Gen.Choose(1, 40).SelectMany(n => Gen.ArrayOf(RtpGens.BytesOf(0, 400), n)).ToArbitrary(), Gen.Choose(0, 7).ToArbitrary(),
            RtpGens.UShort.ToArbitrary(), (payloads, codec, start) =>
        {
            var (_, _, depacketizer) = Codecs[codec];
            var state = SampleBuilderState.Create(depacketizer);
            var emitted = 0;
            for (var i = 0; i < payloads.Length; i++)
            {
                // Sequence numbers mostly in order, sometimes jumping back or far ahead; markers at random.
                var seq = (ushort)(start + i * (i % 7 == 6 ? -3 : 1) + (i % 11 == 10 ? 30000 : 0));
                var packet = RtpPacket.Create(96, seq, (uint)(i / 3 * 3000), 1, payloads[i], marker: payloads[i].Length % 3 == 0);
                var step = SampleBuilder.Push(state, packet);
                state = step.State;
                emitted += step.Outputs.Count;
            }
            emitted += SampleBuilder.Flush(state).Outputs.Count;
            return emitted >= 0;
        });
}
