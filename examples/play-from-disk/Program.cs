// play-from-disk: sends a VP8 IVF file from one PeerConnection to a second one in the same process, over 127.0.0.1,
// and prints the frames the second one rebuilds. Usage: dotnet run --project examples/play-from-disk [file.ivf]
// Without a file it makes a 2-second test pattern with ffmpeg (Debian's ffmpeg with libvpx):
//   ffmpeg -f lavfi -i testsrc=size=320x240:rate=30 -t 2 -c:v libvpx out.ivf
using System.Diagnostics;
using Functional.WebRtc;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;

var path = args.Length > 0 ? args[0] : MakeTestFile();
if (path is null) return 2;
var file = Ivf.Read(File.ReadAllBytes(path)).Match(f => f, e => throw new InvalidDataException($"{path}: {e.Message}"));
if (args.Length == 0) File.Delete(path);
if (file.Header.FourCc != IvfHeader.Vp8)
{
    Console.Error.WriteLine($"{path} holds {file.Header.FourCc}, not VP8");
    return 2;
}
Console.WriteLine($"{path}: {file.Header.Width}x{file.Header.Height}, {file.Frames.Count} frames, time base {file.Header.TimebaseNumerator}/{file.Header.TimebaseDenominator}");

// The two peers: only 127.0.0.1 (the SettingEngine default).
await using var sender = new PeerConnection();
await using var receiver = new PeerConnection();

var video = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "video", "play-from-disk");
var rtpSender = sender.AddTrack(video);

var received = 0;
var allReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
receiver.OnTrack += (track, rtpReceiver) =>
{
    Console.WriteLine($"OnTrack: {track.Kind} {track.Codec} ssrc={track.Ssrc} payload type {track.PayloadType} id={track.Id} stream={track.StreamId}");
    _ = Task.Run(async () =>
    {
        var builder = SampleBuilderState.Create(Vp8Depacketizer.Instance);
        try
        {
            while (true)
            {
                var step = SampleBuilder.Push(builder, await track.ReadPacketAsync());
                builder = step.State;
                foreach (var frame in step.Outputs)
                {
                    var n = Interlocked.Increment(ref received);
                    var key = frame.Data.Length > 0 && (frame.Data[0] & 1) == 0 ? " keyframe" : "";
                    Console.WriteLine($"  frame {n,3}: {frame.Data.Length,6} bytes, RTP timestamp {frame.RtpTimestamp}{key}");
                    if (n == file.Frames.Count) allReceived.TrySetResult();
                }
            }
        }
        catch (InvalidStateException) { } // the track ended
    });
};

// Feedback from the receiver (PLI, NACK, receiver reports) as the sender sees it.
_ = Task.Run(async () =>
{
    try
    {
        while (true)
            foreach (var packet in await rtpSender.ReadRtcpAsync())
                if (packet is PictureLossIndication or ReceiverReport) Console.WriteLine($"  sender got RTCP {packet.GetType().Name}");
    }
    catch (InvalidStateException) { }
});

// In-process signaling, vanilla ICE: each side waits for its candidates before handing its description over.
await sender.SetLocalDescriptionAsync(await sender.CreateOfferAsync());
await sender.GatheringComplete;
await receiver.SetRemoteDescriptionAsync(sender.LocalDescription!);
await receiver.SetLocalDescriptionAsync(await receiver.CreateAnswerAsync());
await receiver.GatheringComplete;
await sender.SetRemoteDescriptionAsync(receiver.LocalDescription!);

var clock = Stopwatch.StartNew();
// The receiver turns connected once it has its SRTP keys: frames sent before that would be lost (the keyframe first).
while (!rtpSender.CanSend || receiver.ConnectionState != PeerConnectionState.Connected)
{
    if (clock.Elapsed > TimeSpan.FromSeconds(15)) { Console.Error.WriteLine("could not connect"); return 1; }
    await Task.Delay(10);
}
Console.WriteLine($"connected in {clock.ElapsedMilliseconds} ms on {sender.SelectedCandidatePair}");

// Send each frame for its duration (from the IVF timestamps and time base), paced in real time.
var tick = TimeSpan.FromSeconds((double)file.Header.TimebaseNumerator / Math.Max(1, file.Header.TimebaseDenominator));
var frames = file.Frames.ToArray();
var start = Stopwatch.StartNew();
var elapsed = TimeSpan.Zero;
for (var i = 0; i < frames.Length; i++)
{
    var duration = i + 1 < frames.Length ? tick * (double)(frames[i + 1].Timestamp - frames[i].Timestamp) : tick;
    video.WriteSample(frames[i].Data.Span, duration);
    elapsed += duration;
    var wait = elapsed - start.Elapsed;
    if (wait > TimeSpan.Zero) await Task.Delay(wait);
}

var done = await Task.WhenAny(allReceived.Task, Task.Delay(TimeSpan.FromSeconds(5))) == allReceived.Task;
Console.WriteLine($"sent {frames.Length} frames ({rtpSender.Sent.Packets} packets), received {received} frames");
return done ? 0 : 1;

static string? MakeTestFile()
{
    var path = Path.Combine(Path.GetTempPath(), $"play-from-disk-{Environment.ProcessId}.ivf");
    var info = new ProcessStartInfo("ffmpeg", ["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", "2", "-c:v", "libvpx", path])
    {
        RedirectStandardError = true,
    };
    try
    {
        using var ffmpeg = Process.Start(info)!;
        var errors = ffmpeg.StandardError.ReadToEnd();
        ffmpeg.WaitForExit();
        if (ffmpeg.ExitCode == 0 && File.Exists(path)) return path;
        Console.Error.WriteLine($"ffmpeg failed: {errors}");
    }
    catch (System.ComponentModel.Win32Exception)
    {
        Console.Error.WriteLine("no file given and ffmpeg is not installed: pass a VP8 .ivf file");
    }
    return null;
}
