using System.Diagnostics;
using System.Text.Json;

namespace Functional.WebRtc.Tests.Media;

/// <summary>What Debian's ffprobe decoded of a file's first stream of one type, frame by frame.</summary>
public sealed record ProbedStream(string CodecName, int Width, int Height, int FramesDecoded, string Errors)
{
    public override string ToString() => $"{CodecName} {Width}x{Height}, {FramesDecoded} frames decoded, errors: '{Errors}'";
}

/// <summary>
/// Debian's ffprobe and ffmpeg (installed by .ci/setup) as judges of the files we write: <c>-v error</c> prints nothing
/// unless decoding fails, and <c>-count_frames</c> decodes every frame.
/// </summary>
public static class Ffprobe
{
    public const string FfprobePath = "/usr/bin/ffprobe";
    public const string FfmpegPath = "/usr/bin/ffmpeg";

    /// <summary>Why ffprobe tests cannot run here, or null.</summary>
    public static string? Missing =>
        File.Exists(FfprobePath) && File.Exists(FfmpegPath) ? null : "ffprobe/ffmpeg not installed (apt-get install ffmpeg; .ci/setup does it)";

    /// <summary>Decodes every frame of the first <paramref name="streamType"/> ("v" or "a") stream; <c>-f</c> forces a demuxer.</summary>
    public static async Task<ProbedStream> ProbeAsync(string path, string streamType, string? format = null)
    {
        var args = new List<string> { "-v", "error", "-count_frames", "-select_streams", streamType + ":0",
            "-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "json" };
        if (format is not null) args.AddRange(["-f", format]);
        args.Add(path);
        var (stdout, stderr) = await RunAsync(FfprobePath, args);
        using var json = JsonDocument.Parse(stdout.Length == 0 ? "{}" : stdout);
        if (!json.RootElement.TryGetProperty("streams", out var streams) || streams.GetArrayLength() == 0)
            return new ProbedStream("", 0, 0, 0, $"no {streamType} stream; {stderr}");
        var s = streams[0];
        int Int(string name) => s.TryGetProperty(name, out var v)
            ? v.ValueKind == JsonValueKind.Number ? v.GetInt32() : int.TryParse(v.GetString(), out var n) ? n : 0
            : 0;
        return new ProbedStream(s.TryGetProperty("codec_name", out var c) ? c.GetString() ?? "" : "", Int("width"), Int("height"),
            Int("nb_read_frames"), stderr.Trim());
    }

    /// <summary>
    /// Decodes the whole file with ffmpeg to nowhere; returns what it printed at level error (empty: no error).
    /// <c>-enc_time_base -1</c>: frames keep the file's own timestamps on their way to the null muxer, which rejects any that
    /// repeats or goes back. Without it ffmpeg 5.1 rounds video timestamps to a frame rate it guesses from the first
    /// frames (its r_frame_rate): two frames of a variable-rate stream closer than one guessed frame period (a browser's
    /// encoder under CPU load sends such bursts) round to the same value and the muxer reports "non monotonically increasing
    /// dts" for a file whose timestamps all increase.
    /// </summary>
    public static async Task<string> DecodeErrorsAsync(string path, string? format = null)
    {
        var args = new List<string> { "-nostdin", "-v", "error" };
        if (format is not null) args.AddRange(["-f", format]);
        args.AddRange(["-i", path, "-enc_time_base", "-1", "-f", "null", "-"]);
        var (_, stderr) = await RunAsync(FfmpegPath, args);
        return stderr.Trim();
    }

    /// <summary>
    /// Fails unless ffmpeg decodes <paramref name="path"/> to nowhere without printing an error and every packet's pts (as
    /// ffprobe demuxes them: IVF frame timestamps, or derived from Ogg granule positions) is above the one before. The message names the file
    /// (<paramref name="what"/>), gives ffmpeg's whole output and the packet timestamps ffprobe reads (pts and duration, in
    /// the stream's time base; "!" marks one not above the one before), and the file is kept under
    /// <see cref="KeptDirectory"/> when FWRTC_KEEP_MEDIA is set.
    /// </summary>
    public static async Task AssertDecodesCleanlyAsync(string what, string path, string? format = null)
    {
        var errors = await DecodeErrorsAsync(path, format);
        var timestamps = await PacketTimestampsAsync(path, format);
        var increasing = !timestamps.Contains(" !", StringComparison.Ordinal);
        if (errors.Length == 0 && increasing) return;
        var kept = Keep(path);
        Xunit.Assert.Fail($"the {what} file {path}{(kept is null ? "" : $" (kept as {kept})")}: " +
            (errors.Length == 0 ? "timestamps that do not increase (marked !)" : $"ffmpeg printed:\n{errors}") + $"\n{timestamps}");
    }

    /// <summary>Where failing files are copied when the environment variable FWRTC_KEEP_MEDIA is set.</summary>
    public static string KeptDirectory => Path.Combine(Path.GetTempPath(), "functional-webrtc-kept-media");

    private static string? Keep(string path)
    {
        if (Environment.GetEnvironmentVariable("FWRTC_KEEP_MEDIA") is null or "") return null;
        Directory.CreateDirectory(KeptDirectory);
        var copy = Path.Combine(KeptDirectory, $"{DateTime.UtcNow:HHmmss.fff}-{Path.GetFileName(path)}");
        File.Copy(path, copy, overwrite: true);
        return copy;
    }

    /// <summary>The time base and every packet's pts (and duration) of the first stream as ffprobe demuxes them.</summary>
    public static async Task<string> PacketTimestampsAsync(string path, string? format = null)
    {
        var args = new List<string> { "-v", "error", "-select_streams", "0", "-show_entries", "stream=time_base,r_frame_rate:packet=pts,duration", "-of", "compact=p=0:nk=1" };
        if (format is not null) args.AddRange(["-f", format]);
        args.Add(path);
        var (stdout, stderr) = await RunAsync(FfprobePath, args);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var packets = new List<string>();
        var stream = "";
        long? previous = null;
        foreach (var line in lines)
        {
            var f = line.Split('|');
            if (f.Length >= 2 && long.TryParse(f[0], out var pts))
            {
                packets.Add((previous is { } p && pts <= p ? "!" : "") + pts + "+" + f[1]);
                previous = pts;
            }
            else stream = line;
        }
        return $"stream (r_frame_rate|time_base): {stream}; {packets.Count} packets (pts+duration): {string.Join(' ', packets)}{(stderr.Length > 0 ? "; ffprobe: " + stderr : "")}";
    }

    private static async Task<(string Stdout, string Stderr)> RunAsync(string exe, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {exe}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{exe} did not finish within 60 s");
        }
        return (await stdout, await stderr + (process.ExitCode != 0 ? $" (exit code {process.ExitCode})" : ""));
    }
}

/// <summary>A browser test that also needs ffprobe (and, for H.264, Chromium's OpenH264 encoder library); skips cleanly without.</summary>
public sealed class BrowserMediaFactAttribute : FactAttribute
{
    /// <summary>Debian's Chromium encodes H.264 with the system's OpenH264 (it links libopenh264.so.7).</summary>
    public static string? OpenH264Missing =>
        new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib" }
            .Any(d => Directory.Exists(d) && Directory.EnumerateFiles(d, "libopenh264.so*").Any())
            ? null : "Chromium cannot encode H.264 here: libopenh264 (its H.264 encoder) is not installed";

    public BrowserMediaFactAttribute(bool h264 = false)
    {
        var why = new[] { Interop.InteropEnvironment.ChromiumMissing, Ffprobe.Missing, h264 ? OpenH264Missing : null }
            .Where(w => w is not null).ToArray();
        if (why.Length > 0) Skip = string.Join("; ", why);
    }
}
