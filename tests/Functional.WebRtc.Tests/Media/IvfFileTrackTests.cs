using Functional.WebRtc.Core;
using System.Collections.Concurrent;
using System.Diagnostics;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Tests.Connection;
using LanguageExt;

namespace Functional.WebRtc.Tests.Media;

/// <summary>A real VP8 stream (ffmpeg's libvpx test pattern, made at test time) sent between two PeerConnections on 127.0.0.1.</summary>
public class IvfFileTrackTests
{
    /// <summary>Two seconds of ffmpeg's test pattern as VP8 in IVF; a synthetic IVF when ffmpeg is not installed.</summary>
    internal static IvfFile MakeFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"media-track-{Guid.NewGuid():N}.ivf");
        try
        {
            var info = new ProcessStartInfo("ffmpeg", ["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30",
                "-t", "2", "-c:v", "libvpx", path]) { RedirectStandardError = true };
            using var ffmpeg = Process.Start(info)!;
            ffmpeg.StandardError.ReadToEnd();
            if (ffmpeg.WaitForExit(60_000) && ffmpeg.ExitCode == 0)
                return Ivf.Read(File.ReadAllBytes(path)).Match(f => f, e => throw new InvalidDataException(e.Message));
        }
        catch (System.ComponentModel.Win32Exception) { }
        finally { File.Delete(path); }
        var frames = Enumerable.Range(0, 60).Select(i => new IvfFrame((ulong)i, new Bytes(Enumerable.Range(0, 300 + i * 37).Select(b => (byte)(b ^ i)).ToArray())));
        return new IvfFile(new IvfHeader(IvfHeader.Vp8, 320, 240, 30, 1, 60), frames.ToSeq());
    }

    [Fact]
    public async Task AVp8FileArrivesFrameForFrameWithTimestampsFromItsTimeBase()
    {
        var file = MakeFile();
        Assert.Equal(IvfHeader.Vp8, file.Header.FourCc);
        Assert.True(file.Frames.Count >= 50, $"{file.Frames.Count} frames");
        await using var pair = new LoopbackPair();
        var video = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "file", "disk");
        var sender = pair.Offerer.AddTrack(video);
        var frames = new ConcurrentQueue<ReassembledSample>();
        pair.Answerer.OnTrack += (track, _) => Task.Run(async () =>
        {
            var builder = SampleBuilderState.Create(Vp8Depacketizer.Instance);
            try
            {
                while (true)
                {
                    var step = SampleBuilder.Push(builder, await track.ReadPacketAsync());
                    builder = step.State;
                    foreach (var s in step.Outputs) frames.Enqueue(s);
                }
            }
            catch (InvalidStateException) { }
        });
        await pair.NegotiateAsync(TimeSpan.FromSeconds(10));
        // The receiver must have its SRTP keys too (its connection state turns connected after them), or the burst below is lost.
        await LoopbackPair.WaitForAsync(() => sender.CanSend && pair.Answerer.ConnectionState == PeerConnectionState.Connected,
            TimeSpan.FromSeconds(10), "sender and receiver ready");

        var tick = TimeSpan.FromSeconds((double)file.Header.TimebaseNumerator / file.Header.TimebaseDenominator);
        foreach (var frame in file.Frames) video.WriteSample(frame.Data.Span, tick);
        await LoopbackPair.WaitForAsync(() => frames.Count >= file.Frames.Count, TimeSpan.FromSeconds(10), $"{file.Frames.Count} frames (have {frames.Count})");

        var got = frames.ToArray();
        Assert.Equal(file.Frames.Map(f => f.Data.ToArray()), got.Select(f => f.Data.ToArray()));
        // 30 fps on the 90 kHz clock: 3000 ticks apart (±1 for the rounding of 1/30 s).
        for (var i = 1; i < got.Length; i++) Assert.InRange(unchecked(got[i].RtpTimestamp - got[i - 1].RtpTimestamp), 2999u, 3001u);
        Assert.True(sender.Sent.Packets >= (uint)file.Frames.Count);
    }
}
