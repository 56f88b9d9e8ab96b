using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Media;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// Whatever the network and the sender's clock do (loss, reordering, duplicates, late retransmissions, bursts, repeated or
/// stepped-back timestamps, a clock restarted, DTX jumps), the files our writers produce keep valid time: IVF frame
/// timestamps increase strictly, and each Ogg Opus page's granule position exceeds the previous one by at least the samples
/// of its packet (RFC 7845 section 4). Random patterns for the pure invariants; ffmpeg decodes files made of real VP8 and Opus.
/// </summary>
public class WriterTimestampTests
{
    private const uint Ssrc = 0x5EED;

    /// <summary>The sender's timestamp steps: mostly regular, some jitter and bursts, rarely a repeat, a step back, a restart, a jump.</summary>
    private static long Step(Random r, long regular) => r.Next(100) switch
    {
        < 55 => regular,
        < 75 => r.Next(1, (int)regular * 2),            // jitter
        < 85 => r.Next(1, 91),                          // a burst: frames 1 ms apart or less
        < 89 => 0,                                      // a repeated timestamp
        < 93 => -r.Next(1, (int)regular + 1),           // a small step back
        < 95 => -(long)r.Next(int.MaxValue / 2),        // the clock restarted further back
        < 97 => regular * r.Next(2, 60),                // DTX or a pause
        _ => r.Next(int.MaxValue / 2),                  // a jump ahead
    };

    /// <summary>What the network does to the packets: loss, duplicates, local reordering, and late copies (retransmissions crossing originals).</summary>
    private static List<RtpPacket> Network(Random r, IReadOnlyList<RtpPacket> sent, bool loss)
    {
        int lossPct = loss ? r.Next(0, 20) : 0, dupPct = r.Next(0, 10), latePct = r.Next(0, 6), reorder = r.Next(0, 8);
        var keyed = new List<(double Key, RtpPacket Packet)>();
        for (var i = 0; i < sent.Count; i++)
        {
            if (r.Next(100) < lossPct) continue;
            keyed.Add((i + r.NextDouble() * reorder, sent[i]));
            if (r.Next(100) < dupPct) keyed.Add((i + r.NextDouble() * reorder, sent[i]));
            if (r.Next(100) < latePct) keyed.Add((i + r.Next(20, 300), sent[i]));
        }
        return keyed.OrderBy(k => k.Key).Select(k => k.Packet).ToList();
    }

    private static byte[] Vp8(Random r, bool key)
    {
        var b = new byte[r.Next(20, 2500)];
        r.NextBytes(b);
        if (key) { b[0] = 0x10; b[3] = 0x9D; b[4] = 0x01; b[5] = 0x2A; b[6] = 64; b[7] = 0; b[8] = 48; b[9] = 0; }
        else b[0] = 0x11;
        return b;
    }

    /// <summary>VP8 frames with the given timestamps, packetized for RTP (several packets a frame at this MTU).</summary>
    private static List<RtpPacket> Vp8Packets(IReadOnlyList<byte[]> frames, IReadOnlyList<uint> timestamps, ushort firstSeq)
    {
        var state = new PacketizerState(Ssrc, 96, new Vp8Payloader(), 400, firstSeq, 0, TimeSpan.Zero);
        var packets = new List<RtpPacket>();
        for (var i = 0; i < frames.Count; i++)
        {
            var step = Packetizer.Packetize(state, new MediaSample(frames[i], TimeSpan.Zero));
            state = step.State;
            packets.AddRange(step.Outputs.Select(p => p with { Timestamp = timestamps[i] }));
        }
        return packets;
    }

    private static List<RtpPacket> OpusPackets(IReadOnlyList<byte[]> packets, IReadOnlyList<uint> timestamps, ushort firstSeq) =>
        packets.Select((p, i) => RtpPacket.Create(111, unchecked((ushort)(firstSeq + i)), timestamps[i], Ssrc, p, marker: i == 0)).ToList();

    private static List<uint> Timestamps(Random r, int count, long regular)
    {
        var ts = new List<uint>();
        long t = r.Next(4) == 0 ? uint.MaxValue - regular * r.Next(1, 10) : (uint)r.Next(); // sometimes about to wrap
        for (var i = 0; i < count; i++) { ts.Add(unchecked((uint)t)); t += Step(r, regular); }
        return ts;
    }

    /// <summary>IVF read back: strictly increasing frame timestamps, and the header counts the frames the writer says it wrote.</summary>
    private static bool IvfValid(byte[] file, long framesWritten, out string why)
    {
        why = "";
        if (file.Length == 0) return framesWritten == 0;
        var read = Ivf.Read(file);
        if (read.IsLeft) { why = "unreadable"; return false; }
        var f = (IvfFile)read;
        var ts = f.Frames.Map(x => x.Timestamp).ToArray();
        for (var i = 1; i < ts.Length; i++)
            if (ts[i] <= ts[i - 1]) { why = $"frame {i}: timestamp {ts[i]} after {ts[i - 1]}"; return false; }
        if (f.Header.FrameCount != ts.Length || ts.Length != framesWritten) { why = $"{ts.Length} frames, header {f.Header.FrameCount}, written {framesWritten}"; return false; }
        return true;
    }

    /// <summary>Ogg Opus read back: each page's granule position at least the previous plus its packet's samples; EOS last.</summary>
    private static bool OggValid(byte[] file, long packetsWritten, out string why)
    {
        why = "";
        var read = OggOpus.Read(file);
        if (read.IsLeft) { why = "unreadable: " + (RtcErrorText(read)); return packetsWritten == 0 && file.Length == 0; }
        var packets = ((OggOpusFile)read).Packets.ToArray();
        var previous = 0L;
        for (var i = 0; i < packets.Length; i++)
        {
            var samples = OpusToc.SamplesPerPacket(packets[i].Data.Span);
            if (packets[i].GranulePosition - previous < samples)
            { why = $"packet {i}: granule {packets[i].GranulePosition} after {previous}, {samples} samples"; return false; }
            previous = packets[i].GranulePosition;
        }
        var pages = Ogg.ReadPages(file).Map(p => p.ToArray()).IfLeft([]);
        if (packets.Length != packetsWritten) { why = $"{packets.Length} packets, {packetsWritten} written"; return false; }
        if (packets.Length > 0 && !pages[^1].Flags.HasFlag(OggPageFlags.EndOfStream)) { why = "last page not EOS"; return false; }
        return true;
    }

    private static string RtcErrorText<T>(Either<Core.RtcError, T> e) => e.Match(_ => "", l => l.ToString());

    [Property(MaxTest = 150)]
    public Property IvfFromAnyNetworkHasStrictlyIncreasingTimestamps() =>
        Prop.ForAll(ArbMap.Default.GeneratorFor<int>().ToArbitrary(), seed =>
        {
            var r = new Random(seed);
            var n = r.Next(2, 80);
            var frames = Enumerable.Range(0, n).Select(i => Vp8(r, key: i == 0 || r.Next(15) == 0)).ToList();
            var sent = Vp8Packets(frames, Timestamps(r, n, 3000), (ushort)r.Next(65536));
            var stream = new MemoryStream();
            var writer = new IvfFileWriter(stream, ownsStream: false, maxLate: r.Next(1, 100));
            foreach (var p in Network(r, sent, loss: true)) writer.WriteRtp(p);
            writer.Close();
            return IvfValid(stream.ToArray(), writer.FramesWritten, out var why).Label($"seed {seed}: {why}");
        });

    [Property(MaxTest = 150)]
    public Property OggOpusFromAnyNetworkHasValidGranules() =>
        Prop.ForAll(ArbMap.Default.GeneratorFor<int>().ToArbitrary(), seed =>
        {
            var r = new Random(seed);
            var n = r.Next(1, 150);
            // One duration per stream (Chromium's 20 ms, or 10/40/60 ms), sometimes changing midway (RFC 7587 allows it).
            // TOCs (RFC 6716 3.1): CELT 20 ms mono and stereo, SILK 20/40/60 ms, hybrid 10 ms, CELT 2.5 ms, two CELT 10 ms frames.
            byte[] tocs = [0xF8, 0xFC, 0x08, 0x10, 0x18, 0x60, 0xE0, 0xF1];
            var toc = tocs[r.Next(tocs.Length)];
            var packets = Enumerable.Range(0, n).Select(_ =>
            {
                if (r.Next(40) == 0) toc = tocs[r.Next(tocs.Length)];
                var b = new byte[r.Next(1, 200)];
                r.NextBytes(b);
                b[0] = toc;
                return b;
            }).ToList();
            var sent = OpusPackets(packets, Timestamps(r, n, OpusToc.SamplesPerPacket([toc])), (ushort)r.Next(65536));
            var stream = new MemoryStream();
            var writer = new OggOpusFileWriter(stream, ownsStream: false, maxLate: r.Next(1, 60));
            foreach (var p in Network(r, sent, loss: true)) writer.WriteRtp(p);
            writer.Close();
            return OggValid(stream.ToArray(), writer.FramesWritten, out var why).Label($"seed {seed}: {why}");
        });

    /// <summary>The pure writers alone, fed any timestamps in any order (no sample builder in front): still valid time.</summary>
    [Property(MaxTest = 200)]
    public Property PureWritersKeepTimeValidForAnyTimestamps() =>
        Prop.ForAll(ArbMap.Default.GeneratorFor<uint[]>().ToArbitrary(), ArbMap.Default.GeneratorFor<bool>().ToArbitrary(), (timestamps, nearby) =>
        {
            // Either arbitrary 32-bit values, or values close together (repeats and small steps both ways).
            var ts = nearby ? timestamps.Select(t => t % 10_000).ToArray() : timestamps;
            var r = new Random(timestamps.Length);
            var ivf = IvfWriter.Vp8();
            var (ogg, head) = OggOpusRtpWriter.Start(1, OpusHead.Stereo48k, new OpusTags("t", Seq<string>.Empty));
            var ivfBytes = new List<byte>();
            var oggBytes = new List<byte>(head);
            var oggTaken = 0;
            for (var i = 0; i < ts.Length; i++)
            {
                (ivf, var b) = ivf.WriteFrame(Vp8(r, key: i == 0), ts[i]);
                ivfBytes.AddRange(b);
                var before = ogg.LastGranule;
                (ogg, b) = ogg.WritePacket([0xFC, 1, 2], ts[i]);
                if (ogg.LastGranule != before || i == 0) oggTaken++;
                oggBytes.AddRange(b);
            }
            (ogg, var tail) = ogg.Finish();
            oggBytes.AddRange(tail);
            var file = ivfBytes.ToArray();
            if (ivf.Started) ivf.Header().CopyTo(file, 0);
            var ivfOk = IvfValid(file, ivf.FrameCount, out var whyIvf) && ivf.FrameCount == ts.Length;
            var oggOk = OggValid(oggBytes.ToArray(), oggTaken, out var whyOgg);
            return (ivfOk && oggOk).Label($"IVF: {whyIvf}; Ogg: {whyOgg}");
        });

    [Fact]
    public void IvfTimestampsThatDoNotAdvanceStillIncrease()
    {
        var w = IvfWriter.Vp8();
        var r = new Random(1);
        var written = new List<byte>();
        // Regular, a repeat, a small step back, the clock restarted far back, then regular again.
        uint[] ts = [1000, 4000, 4000, 3500, 7000, 500_000_000, 10_000, 13_000];
        for (var i = 0; i < ts.Length; i++) { (w, var b) = w.WriteFrame(Vp8(r, i == 0), ts[i]); written.AddRange(b); }
        var file = written.ToArray();
        w.Header().CopyTo(file, 0);
        var frames = ((IvfFile)Ivf.Read(file)).Frames.Map(f => f.Timestamp).ToArray();
        // 4000 again: 1 tick after the last; 3500: 1 tick after again; 7000 as sent; 500 000 000 is ahead (kept as sent);
        // 10 000 is then far back (a restarted clock): one frame interval (the last under a second: 6000 - 3002) after
        // the last, and 13 000 keeps that shift.
        Assert.Equal(new ulong[] { 0, 3000, 3001, 3002, 6000, 499_999_000, 499_999_000 + 2998, 499_999_000 + 2998 + 3000 }, frames);
    }

    [Fact]
    public void OggLatePacketsAreDroppedAndOverlapsPlacedAfterTheLast()
    {
        byte[] opus20ms = [0xFC, 0x01, 0x02];
        var (w, head) = OggOpusRtpWriter.Start(7, OpusHead.Stereo48k, new OpusTags("t", Seq<string>.Empty));
        var output = new List<byte>(head);
        void Write(uint ts) { (w, var b) = w.WritePacket(opus20ms, ts); output.AddRange(b); }
        Write(0);           // 960
        Write(960);         // 1920
        Write(960);         // a repeat: dropped
        Write(0);           // late: dropped
        Write(1440);        // overlaps the last by 480: placed right after it, 2880
        Write(960 * 10);    // a gap (loss or DTX): 10 560
        Write(4_000_000_000); // far back (a restarted clock): right after the last, 11 520
        Write(4_000_000_960); // keeps following: 12 480
        (w, var tail) = w.Finish();
        output.AddRange(tail);
        var granules = Ogg.ReadPages(output.ToArray()).Map(p => p.Skip(2).Select(x => x.GranulePosition).ToArray()).IfLeft([]);
        Assert.Equal(new long[] { 960, 1920, 2880, 10_560, 11_520, 12_480 }, granules);
    }

    /// <summary>A real encoding by Debian's ffmpeg (libvpx / libopus), or null when ffmpeg is missing.</summary>
    private static async Task<byte[]?> EncodeAsync(string args, string extension)
    {
        if (Ffprobe.Missing is not null) return null;
        var path = Path.Combine(Path.GetTempPath(), $"writer-ts-{Guid.NewGuid():N}.{extension}");
        try
        {
            var info = new ProcessStartInfo(Ffprobe.FfmpegPath) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in $"-nostdin -v error -y {args} {path}".Split(' ')) info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            var err = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(p.ExitCode == 0, await err);
            return await File.ReadAllBytesAsync(path);
        }
        finally { File.Delete(path); }
    }

    /// <summary>
    /// Real VP8 frames (libvpx) with the timestamps of a browser's encoder under load (a regular 20 fps start, then bursts, as
    /// in the failing run), plus a repeated timestamp, a step back and a restarted clock, through reordering, duplicates and
    /// late copies: ffmpeg decodes the IVF we write with no error and its timestamps increase.
    /// </summary>
    [Fact]
    public async Task FfmpegDecodesIvfWrittenFromABurstyReorderedStream()
    {
        // A key frame every 10 frames: a reordered start can cost the first one (the sample builder starts at the first packet).
        var encoded = await EncodeAsync("-f lavfi -i testsrc=size=64x48:rate=20 -frames:v 80 -c:v libvpx -g 10 -f ivf", "ivf");
        if (encoded is null) return; // no ffmpeg here (.ci/setup installs it)
        var frames = ((IvfFile)Ivf.Read(encoded)).Frames.Map(f => f.Data.ToArray()).ToList();
        var ts = new List<uint>();
        var t = uint.MaxValue - 4500u * 30;  // wraps midway
        var r = new Random(7);
        for (var i = 0; i < frames.Count; i++)
        {
            ts.Add(t);
            t = unchecked(t + (uint)(i < 25 ? 4500 : i switch { 40 => 0, 50 => 0u - 2000u, 60 => 0u - 1_000_000_000u, _ => (uint)r.Next(90, 6000) }));
        }
        var path = Path.Combine(Path.GetTempPath(), $"writer-ts-{Guid.NewGuid():N}.ivf");
        try
        {
            long written;
            using (var writer = IvfFileWriter.Create(path))
            {
                foreach (var p in Network(r, Vp8Packets(frames, ts, 65000), loss: false)) writer.WriteRtp(p);
                writer.Close();
                written = writer.FramesWritten;
            }
            Assert.True(written >= frames.Count - 10, $"{written} of {frames.Count} frames written");
            await Ffprobe.AssertDecodesCleanlyAsync("IVF (real VP8, bursty timestamps)", path);
            var probed = await Ffprobe.ProbeAsync(path, "v");
            Assert.Equal(written, probed.FramesDecoded);
        }
        finally { File.Delete(path); }
    }

    /// <summary>Real Opus packets (libopus, 20 ms) with loss, DTX gaps, a repeat, a step back and a restarted clock, reordered: ffmpeg decodes the Ogg we write cleanly.</summary>
    [Fact]
    public async Task FfmpegDecodesOggOpusWrittenFromAnImpairedStream()
    {
        var encoded = await EncodeAsync("-f lavfi -i sine=frequency=440:sample_rate=48000 -t 3 -c:a libopus -b:a 32k -frame_duration 20 -f ogg", "ogg");
        if (encoded is null) return;
        var packets = ((OggOpusFile)OggOpus.Read(encoded)).Packets.Map(p => p.Data.ToArray()).ToList();
        var ts = new List<uint>();
        var t = uint.MaxValue - 960u * 40;
        for (var i = 0; i < packets.Count; i++)
        {
            ts.Add(t);
            t = unchecked(t + (i switch { 30 => 0u, 50 => 0u - 480u, 70 => 960u * 20, 100 => 0u - 2_000_000_000u, _ => 960u }));
        }
        var r = new Random(11);
        var path = Path.Combine(Path.GetTempPath(), $"writer-ts-{Guid.NewGuid():N}.ogg");
        try
        {
            using (var writer = OggOpusFileWriter.Create(path))
                foreach (var p in Network(r, OpusPackets(packets, ts, 100), loss: true)) writer.WriteRtp(p);
            await Ffprobe.AssertDecodesCleanlyAsync("Ogg Opus (real Opus, impaired)", path);
            Assert.True(OggValid(await File.ReadAllBytesAsync(path), ((OggOpusFile)OggOpus.Read(await File.ReadAllBytesAsync(path))).Packets.Count, out var why), why);
        }
        finally { File.Delete(path); }
    }
}
