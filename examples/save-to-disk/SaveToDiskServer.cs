using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Functional.WebRtc;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Media;

using Examples.Shared;

namespace SaveToDisk;

/// <summary>One file being written from a received track.</summary>
public sealed record Recording(string Path, MediaKind Kind, string Codec, long Frames, TimeSpan Duration, long PacketsDropped);

/// <summary>
/// The save-to-disk example's logic (Pion's save-to-disk): an HTTP server on 127.0.0.1 serves a page whose camera and
/// microphone (getUserMedia) are sent to our PeerConnection; the received VP8 goes to output.ivf (or H.264 to
/// output.h264) and the Opus to output.ogg in <see cref="OutputDirectory"/>. The page offers, POSTs its offer to /offer and
/// gets our answer; ICE uses 127.0.0.1 only (our side gathers nothing else, and the page's other candidates are dropped).
/// Each new offer replaces the previous connection and its files.
/// </summary>
public sealed class SaveToDiskServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly TextWriter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly object _lock = new();
    private Session? _session;

    private SaveToDiskServer(int port, string outputDirectory, TextWriter log)
    {
        OutputDirectory = outputDirectory;
        _log = log;
        (_listener, var url) = HttpPage.Listen(port);
        Port = url.Port;
        _serving = HttpPage.ServeAsync(_listener, _log, HandleAsync, _stop.Token);
    }

    public int Port { get; }
    public string OutputDirectory { get; }

    /// <summary>The page to open: <c>?codec=H264</c> makes our answer accept only H.264 (packetization-mode 1, 42e01f).</summary>
    public string Url => $"http://127.0.0.1:{Port}/";

    /// <summary>Starts serving on 127.0.0.1:<paramref name="port"/> (0 takes a free one); files go to <paramref name="outputDirectory"/>.</summary>
    public static SaveToDiskServer Start(int port, string outputDirectory, TextWriter? log = null)
    {
        Directory.CreateDirectory(outputDirectory);
        return new SaveToDiskServer(port, outputDirectory, log ?? TextWriter.Null);
    }

    /// <summary>What the current connection has written so far.</summary>
    public IReadOnlyList<Recording> Recordings
    {
        get { lock (_lock) return _session?.Recordings() ?? []; }
    }

    /// <summary>The connection state of the current connection (null before the first offer).</summary>
    public PeerConnectionState? ConnectionState { get { lock (_lock) return _session?.Pc.ConnectionState; } }

    /// <summary>Waits until an audio and a video file each hold <paramref name="duration"/> of media.</summary>
    public async Task WaitForMediaAsync(TimeSpan duration, CancellationToken cancel)
    {
        while (true)
        {
            var r = Recordings;
            if (r.Any(x => x.Kind == MediaKind.Audio && x.Duration >= duration) && r.Any(x => x.Kind == MediaKind.Video && x.Duration >= duration)) return;
            await Task.Delay(100, cancel);
        }
    }

    /// <summary>Closes the connection and finishes the files; returns what was written. The server keeps serving.</summary>
    public async Task<IReadOnlyList<Recording>> FinishAsync()
    {
        Session? session;
        lock (_lock) { session = _session; _session = null; }
        return session is null ? [] : await session.FinishAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _serving.WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or OperationCanceledException or TimeoutException) { }
        await FinishAsync();
        _listener.Close();
        _stop.Dispose();
    }

    private async Task<bool> HandleAsync(HttpListenerContext context, string path)
    {
        switch (path)
        {
            case "/":
                await HttpPage.ReplyAsync(context, "text/html", Page);
                return true;
            case "/offer" when context.Request.HttpMethod == "POST":
                var offer = HttpPage.LoopbackOnly(await HttpPage.ReadOfferAsync(context));
                var codec = string.Equals(context.Request.QueryString["codec"], "H264", StringComparison.OrdinalIgnoreCase) ? "H264" : "VP8";
                var previous = await FinishAsync();
                if (previous.Count > 0) _log.WriteLine("a new offer: the previous connection is closed and its files finished");
                var session = new Session(OutputDirectory, codec, _log);
                lock (_lock) _session = session;
                var answer = await session.AnswerAsync(offer);
                await HttpPage.ReplyAsync(context, "application/json", answer.ToJson());
                return true;
            default:
                return false;
        }
    }

    /// <summary>One connection: our PeerConnection answering the page, and a reader loop per received track into its file.</summary>
    private sealed class Session
    {
        private readonly string _directory;
        private readonly TextWriter _log;
        private readonly ConcurrentDictionary<string, (RtpFileWriter Writer, TrackRemote Track, string Path)> _writers = new();
        private readonly ConcurrentBag<Task> _readers = new();

        public Session(string directory, string videoCodec, TextWriter log)
        {
            _directory = directory;
            _log = log;
            // Opus, and one video codec: VP8, or the H.264 profile browsers send (constrained baseline, packetization-mode 1).
            var codecs = MediaEngine.Default.Codecs;
            var video = codecs.Filter(c => c.Name == videoCodec && (videoCodec != "H264" ||
                c.FmtpParameters.Find("packetization-mode").Exists(v => v == "1") && c.FmtpParameters.Find("profile-level-id").Exists(v => v == "42e01f")));
            var videoTypes = video.Map(c => (int)c.PayloadType).ToHashSet();
            var engine = MediaEngine.Default with
            {
                Codecs = codecs.Filter(c => c.Name == "opus" || video.Contains(c) || c.IsRtx && c.Apt.Exists(videoTypes.Contains)),
            };
            Pc = new PeerConnection(null, new SettingEngine { MediaEngine = engine });
            Pc.OnConnectionStateChange += s => _log.WriteLine($"connection: {s.ToText()}");
            Pc.OnTrack += (track, _) => OnTrack(track);
        }

        public PeerConnection Pc { get; }

        public async Task<SessionDescription> AnswerAsync(SessionDescription offer)
        {
            await Pc.SetRemoteDescriptionAsync(offer);
            await Pc.SetLocalDescriptionAsync(await Pc.CreateAnswerAsync());
            await Pc.GatheringComplete.WaitAsync(TimeSpan.FromSeconds(10));
            return Pc.LocalDescription!;
        }

        private void OnTrack(TrackRemote track)
        {
            var (name, make) = track.Codec.ToUpperInvariant() switch
            {
                "VIDEO/VP8" => ("output.ivf", (Func<string, RtpFileWriter>)IvfFileWriter.Create),
                "VIDEO/H264" => ("output.h264", H264FileWriter.Create),
                "AUDIO/OPUS" => ("output.ogg", p => OggOpusFileWriter.Create(p)),
                _ => (null, null),
            };
            if (name is null || make is null) { _log.WriteLine($"track {track.Id}: {track.Codec} is not saved"); return; }
            var path = Path.Combine(_directory, name);
            if (!_writers.TryAdd(name, (null!, track, path))) { _log.WriteLine($"track {track.Id}: {name} is taken by another track"); return; }
            var writer = make(path);
            _writers[name] = (writer, track, path);
            _log.WriteLine($"track {track.Id}: {track.Codec}, ssrc {track.Ssrc} -> {path}");
            _readers.Add(Task.Run(() => writer.RecordAsync(Pc, track)));
        }

        public IReadOnlyList<Recording> Recordings() =>
            _writers.Values.Where(w => w.Writer is not null)
                .Select(w => new Recording(w.Path, w.Track.Kind, w.Track.Codec, w.Writer.FramesWritten, w.Writer.Duration, w.Writer.PacketsDropped))
                .OrderBy(r => r.Path, StringComparer.Ordinal).ToList();

        public async Task<IReadOnlyList<Recording>> FinishAsync()
        {
            await Pc.CloseAsync();
            try { await Task.WhenAll(_readers).WaitAsync(TimeSpan.FromSeconds(10)); }
            catch (TimeoutException) { _log.WriteLine("a track reader did not stop within 10 s"); }
            foreach (var (writer, _, _) in _writers.Values) writer?.Close();
            await Pc.DisposeAsync();
            var written = Recordings();
            foreach (var r in written) _log.WriteLine($"{r.Path}: {r.Codec}, {r.Frames} frames, {r.Duration.TotalSeconds:F1} s, {r.PacketsDropped} packets dropped");
            return written;
        }
    }

    /// <summary>
    /// The page: asks for the camera and microphone first (Chromium gathers a 127.0.0.1 candidate only after getUserMedia),
    /// sends both tracks, offers with all candidates gathered (no trickle), and shows its own camera.
    /// </summary>
    private const string Page = """
        <!doctype html><meta charset="utf-8"><title>save-to-disk</title>
        <video id="local" autoplay muted playsinline width="320"></video>
        <pre id="log"></pre>
        <script>
        const log = text => { document.getElementById('log').textContent += text + '\n'; fetch('/log', { method: 'POST', body: text }); };
        const codec = new URLSearchParams(location.search).get('codec') || 'VP8';
        (async () => {
          const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
          document.getElementById('local').srcObject = stream;
          const pc = window.pc = new RTCPeerConnection();
          pc.onconnectionstatechange = () => log('connection: ' + pc.connectionState);
          for (const track of stream.getTracks()) pc.addTrack(track, stream);
          await pc.setLocalDescription(await pc.createOffer());
          await new Promise(resolve => {
            if (pc.iceGatheringState === 'complete') return resolve();
            pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
          });
          const answer = await (await fetch('/offer?codec=' + encodeURIComponent(codec), { method: 'POST', body: JSON.stringify(pc.localDescription) })).json();
          await pc.setRemoteDescription(answer);
          log('sending ' + stream.getTracks().map(t => t.kind).join(' and ') + ' (' + codec + ')');
        })().catch(e => log('error: ' + e));
        </script>
        """;
}
