using System.Diagnostics;
using Functional.WebRtc;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Signaling;

using Examples.Shared;

namespace PlayFromDisk;

/// <summary>How the example runs: its HTTP port on 127.0.0.1 (0 picks a free one), the files, whether to loop them.</summary>
public sealed record PlayFromDiskOptions
{
    public int Port { get; init; } = 8080;
    public TextWriter Log { get; init; } = Console.Out;
    /// <summary>Called once the page is served, with its address.</summary>
    public Action<Uri>? Listening { get; init; }
    /// <summary>A VP8 IVF file; null makes a 10-second test pattern with ffmpeg.</summary>
    public string? VideoPath { get; init; }
    /// <summary>An Ogg Opus file; null makes a 10-second 440 Hz sine with ffmpeg.</summary>
    public string? AudioPath { get; init; }
    /// <summary>Start the files again when they end (else each track stops at its file's end).</summary>
    public bool Loop { get; init; }
}

/// <summary>
/// The example's logic, callable from a test: reads the files, serves the page, and for each offer the page POSTs
/// answers with a VP8 and an Opus track, then plays the files on them in real time once connected. Runs until
/// <paramref name="cancel"/> fires; then closes every connection and the HTTP listener.
/// </summary>
public static class PlayFromDiskExample
{
    /// <summary>Opus and VP8 only (as Pion's example registers), with VP8's RTX.</summary>
    private static readonly MediaEngine OpusAndVp8 = MediaEngine.Default with
    {
        Codecs = MediaEngine.Default.Codecs.Filter(c => c.Name is "opus" or "VP8" || c.IsRtx && c.Apt.Exists(a => a == 96)),
    };

    public static async Task RunAsync(PlayFromDiskOptions options, CancellationToken cancel)
    {
        var log = TextWriter.Synchronized(options.Log);
        var video = ReadVideo(options.VideoPath ?? await MakeFileAsync("ivf", ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", "10", "-c:v", "libvpx", "-g", "30"], cancel));
        var audio = ReadAudio(options.AudioPath ?? await MakeFileAsync("ogg", ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "10", "-c:a", "libopus", "-frame_duration", "20"], cancel));
        log.WriteLine($"video: {video.Header.Width}x{video.Header.Height}, {video.Frames.Count} frames; audio: {audio.Packets.Count} Opus packets");

        var players = new List<Task>();
        await HttpPage.ServeOffersAsync(options.Port, options.Listening, log, Page,
            create: () => new PeerConnection(null, new SettingEngine { MediaEngine = OpusAndVp8 }),
            prepare: pc =>
            {
                var videoTrack = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "video", "play-from-disk");
                var audioTrack = new TrackLocalStaticSample(RtpCodecCapability.Opus, "audio", "play-from-disk");
                var videoSender = pc.AddTrack(videoTrack);
                var audioSender = pc.AddTrack(audioTrack);
                return () =>
                {
                    lock (players)
                    {
                        players.Add(PlayAsync(videoSender, log, "video", cancel, () => PlayVideoAsync(videoTrack, video, options.Loop, cancel)));
                        players.Add(PlayAsync(audioSender, log, "audio", cancel, () => PlayAudioAsync(audioTrack, audio, options.Loop, cancel)));
                    }
                };
            }, cancel,
            beforeClose: async () =>
            {
                Task[] playing;
                lock (players) playing = players.ToArray();
                await Task.WhenAny(Task.WhenAll(playing), Task.Delay(TimeSpan.FromSeconds(10)));
            });
    }

    /// <summary>Waits (30 s at most) until the sender can send, so the first keyframe is not lost, then plays.</summary>
    private static async Task PlayAsync(RtpSender sender, TextWriter log, string what, CancellationToken cancel, Func<Task<int>> play)
    {
        try
        {
            var waited = Stopwatch.StartNew();
            while (!sender.CanSend)
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(30)) { log.WriteLine($"{what}: never connected"); return; }
                await Task.Delay(10, cancel);
            }
            log.WriteLine($"{what}: playing");
            var sent = await play();
            log.WriteLine($"{what}: sent {sent}");
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Each frame for its duration from the IVF timestamps and time base, paced by a stopwatch.</summary>
    private static async Task<int> PlayVideoAsync(TrackLocalStaticSample track, IvfFile file, bool loop, CancellationToken cancel)
    {
        var tick = TimeSpan.FromSeconds((double)file.Header.TimebaseNumerator / Math.Max(1, file.Header.TimebaseDenominator));
        var frames = file.Frames.ToArray();
        var clock = Stopwatch.StartNew();
        var due = TimeSpan.Zero;
        var sent = 0;
        for (var i = 0; !cancel.IsCancellationRequested && frames.Length > 0 && (loop || i < frames.Length); i++)
        {
            var n = i % frames.Length;
            var duration = n + 1 < frames.Length ? tick * (double)(frames[n + 1].Timestamp - frames[n].Timestamp) : tick;
            track.WriteSample(frames[n].Data.Span, duration);
            sent++;
            due += duration;
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, cancel);
        }
        return sent;
    }

    /// <summary>Each Opus packet for the samples its TOC says (RFC 6716 3.1), paced by a stopwatch.</summary>
    private static async Task<int> PlayAudioAsync(TrackLocalStaticSample track, OggOpusFile file, bool loop, CancellationToken cancel)
    {
        var packets = file.Packets.ToArray();
        var clock = Stopwatch.StartNew();
        var due = TimeSpan.Zero;
        var sent = 0;
        for (var i = 0; !cancel.IsCancellationRequested && packets.Length > 0 && (loop || i < packets.Length); i++)
        {
            var packet = packets[i % packets.Length].Data.Span;
            var samples = OpusToc.SamplesPerPacket(packet);
            var duration = TimeSpan.FromSeconds((samples > 0 ? samples : 960) / 48000.0);
            track.WriteSample(packet, duration);
            sent++;
            due += duration;
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, cancel);
        }
        return sent;
    }

    private static IvfFile ReadVideo(string path)
    {
        var file = Ivf.Read(File.ReadAllBytes(path)).Match(f => f, e => throw new InvalidDataException($"{path}: {e.Message}"));
        return file.Header.FourCc == IvfHeader.Vp8 ? file : throw new InvalidDataException($"{path} holds {file.Header.FourCc}, not VP8");
    }

    private static OggOpusFile ReadAudio(string path) =>
        OggOpus.Read(File.ReadAllBytes(path)).Match(f => f, e => throw new InvalidDataException($"{path}: {e.Message}"));

    /// <summary>A test file made by ffmpeg in the temporary folder (deleted when the process exits).</summary>
    private static async Task<string> MakeFileAsync(string extension, string[] arguments, CancellationToken cancel)
    {
        var path = Path.Combine(Path.GetTempPath(), $"play-from-disk-{Environment.ProcessId}-{Guid.NewGuid():N}.{extension}");
        var info = new ProcessStartInfo("ffmpeg", ["-y", "-loglevel", "error", .. arguments, path]) { RedirectStandardError = true };
        using var ffmpeg = Process.Start(info) ?? throw new InvalidOperationException("could not start ffmpeg");
        var errors = ffmpeg.StandardError.ReadToEndAsync(cancel);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        bounded.CancelAfter(TimeSpan.FromSeconds(120));
        try { await ffmpeg.WaitForExitAsync(bounded.Token); }
        catch (OperationCanceledException) { ffmpeg.Kill(); throw; }
        if (ffmpeg.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed: {await errors}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    }

    /// <summary>
    /// The page: asks for the microphone once (so Chromium gathers 127.0.0.1) and stops it, offers to receive audio and
    /// video, and plays what arrives in a video and an audio element.
    /// </summary>
    public const string Page = """
        <!doctype html><meta charset="utf-8"><title>play-from-disk</title>
        <div id="media"></div><pre id="log"></pre>
        <script>
        const log = text => { document.getElementById('log').textContent += text + '\n'; fetch('/log', { method: 'POST', body: text }); };
        (async () => {
          try { (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach(t => t.stop()); } catch (e) { }
          const pc = window.pc = new RTCPeerConnection();
          pc.onconnectionstatechange = () => log('connection: ' + pc.connectionState);
          pc.ontrack = e => {
            const el = document.createElement(e.track.kind);
            el.autoplay = true;
            el.controls = true;
            el.srcObject = new MediaStream([e.track]);
            document.getElementById('media').appendChild(el);
            el.play().catch(err => log('play: ' + err));
          };
          pc.addTransceiver('video', { direction: 'recvonly' });
          pc.addTransceiver('audio', { direction: 'recvonly' });
          await pc.setLocalDescription(await pc.createOffer());
          await new Promise(resolve => {
            if (pc.iceGatheringState === 'complete') return resolve();
            pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
          });
          const answer = await (await fetch('/offer', { method: 'POST', body: JSON.stringify(pc.localDescription) })).json();
          await pc.setRemoteDescription(answer);
        })().catch(e => log('error: ' + e));
        </script>
        """;
}
