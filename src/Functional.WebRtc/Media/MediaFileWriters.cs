using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;

namespace Functional.WebRtc.Media;

/// <summary>
/// Saves one received RTP stream to a file (Pion's ivfwriter / oggwriter / h264writer): RTP packets in, frames rebuilt
/// by a <see cref="SampleBuilder"/> (loss and reordering), written with a pure writer of the core. Meant for one reader
/// loop; calls are serialized anyway. <see cref="Close"/> (or Dispose) flushes the builder and finishes the file.
/// </summary>
public abstract class RtpFileWriter : IDisposable
{
    private readonly object _lock = new();
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly uint _clockRate;
    private SampleBuilderState _builder;
    private bool _closed;
    private bool _timed;
    private long _firstTimestamp, _lastTimestamp;

    private protected RtpFileWriter(Stream stream, bool ownsStream, IRtpDepacketizer depacketizer, int maxLate, uint clockRate)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        _clockRate = Math.Max(1, clockRate);
        _builder = SampleBuilderState.Create(depacketizer, maxLate);
    }

    /// <summary>The media time written: from the first written frame's RTP timestamp to the last one's (unwrapped).</summary>
    public TimeSpan Duration
    {
        get { lock (_lock) return TimeSpan.FromSeconds((double)(_lastTimestamp - _firstTimestamp) / _clockRate); }
    }

    /// <summary>Frames (or audio packets) written to the file.</summary>
    public long FramesWritten { get; private set; }

    /// <summary>Frames rebuilt but not written (before the first key frame, or unusable).</summary>
    public long FramesSkipped { get; private set; }

    /// <summary>Packets the sample builder gave up on (lost, or of incomplete frames).</summary>
    public long PacketsDropped { get { lock (_lock) return _builder.DroppedPackets; } }

    /// <summary>One RTP packet of the stream (any order; duplicates and late ones are dropped).</summary>
    public void WriteRtp(RtpPacket packet)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            var step = SampleBuilder.Push(_builder, packet);
            _builder = step.State;
            foreach (var sample in step.Outputs) Write(sample);
        }
    }

    /// <summary>
    /// Writes every packet of <paramref name="track"/> until it ends (BYE, or its connection closes), as Pion's save-to-disk
    /// loop does. A decoder starts at a key frame, so while a video file has no frame yet this asks the sender for one
    /// every second with a PLI on <paramref name="pc"/> (RFC 4585 section 6.3.1); <paramref name="onPli"/> hears of each.
    /// </summary>
    public async Task RecordAsync(PeerConnection pc, TrackRemote track, Action? onPli = null)
    {
        var lastPli = DateTime.MinValue;
        try
        {
            while (true)
            {
                WriteRtp(await track.ReadPacketAsync().ConfigureAwait(false));
                if (track.Kind == MediaKind.Video && FramesWritten == 0 && DateTime.UtcNow - lastPli > TimeSpan.FromSeconds(1))
                {
                    lastPli = DateTime.UtcNow;
                    pc.WriteRtcp(new PictureLossIndication(1, track.Ssrc));
                    onPli?.Invoke();
                }
            }
        }
        catch (InvalidStateException) { } // the track ended
    }

    /// <summary>One RTP packet as bytes (header and payload, unprotected); a malformed packet is ignored (false).</summary>
    public bool WriteRtp(ReadOnlySpan<byte> packet)
    {
        var parsed = RtpPacket.Parse(packet);
        if (parsed.IsLeft) return false;
        WriteRtp((RtpPacket)parsed);
        return true;
    }

    private void Write(ReassembledSample sample)
    {
        var bytes = Encode(sample);
        if (bytes.Length == 0) { FramesSkipped++; return; }
        _stream.Write(bytes);
        FramesWritten++;
        if (!_timed) { _timed = true; _firstTimestamp = _lastTimestamp = sample.RtpTimestamp; }
        else _lastTimestamp = Math.Max(_lastTimestamp, _lastTimestamp + (int)(sample.RtpTimestamp - (uint)_lastTimestamp));
    }

    /// <summary>The bytes to append for one rebuilt frame (empty: the frame is skipped).</summary>
    private protected abstract byte[] Encode(ReassembledSample sample);

    /// <summary>Bytes to append at the end, and a header to write over the start (null: none).</summary>
    private protected abstract (byte[] Tail, byte[]? Header) Finish();

    /// <summary>Writes what the builder still holds complete, finishes the file and closes it (when owned). Idempotent.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (_closed) return;
            _closed = true;
            try
            {
                var step = SampleBuilder.Flush(_builder);
                _builder = step.State;
                foreach (var sample in step.Outputs) Write(sample);
                var (tail, header) = Finish();
                _stream.Write(tail);
                if (header is not null && _stream.CanSeek && _stream.Length >= header.Length)
                {
                    var end = _stream.Position;
                    _stream.Position = 0;
                    _stream.Write(header);
                    _stream.Position = end;
                }
                _stream.Flush();
            }
            finally
            {
                if (_ownsStream) _stream.Dispose();
            }
        }
    }

    public void Dispose()
    {
        Close();
        GC.SuppressFinalize(this);
    }
}

/// <summary>VP8 RTP to an IVF file, starting at the first key frame (ask the sender for one with a PLI).</summary>
public sealed class IvfFileWriter : RtpFileWriter
{
    private IvfWriter _writer;

    public IvfFileWriter(Stream stream, bool ownsStream = true, uint clockRate = 90000, int maxLate = 100)
        : base(stream, ownsStream, Vp8Depacketizer.Instance, maxLate, clockRate) => _writer = IvfWriter.Vp8(clockRate);

    /// <summary>Creates (or truncates) the file at <paramref name="path"/>.</summary>
    public static IvfFileWriter Create(string path) => new(File.Create(path));

    /// <summary>Whether the first key frame has been written.</summary>
    public bool Started => _writer.Started;
    public (ushort Width, ushort Height) Size => (_writer.Width, _writer.Height);

    private protected override byte[] Encode(ReassembledSample sample)
    {
        (_writer, var bytes) = _writer.WriteFrame(sample.Data.Span, sample.RtpTimestamp);
        return bytes;
    }

    private protected override (byte[] Tail, byte[]? Header) Finish() => ([], _writer.Started ? _writer.Header() : null);
}

/// <summary>Opus RTP to an Ogg Opus file (RFC 7845); granule positions follow the RTP timestamps.</summary>
public sealed class OggOpusFileWriter : RtpFileWriter
{
    private OggOpusRtpWriter _writer;
    private readonly byte[] _headers;
    private bool _headersWritten;

    /// <summary>
    /// The OpusHead says <paramref name="channels"/> (RFC 7587: the SDP always says 2; decoders upmix mono packets); the Ogg
    /// logical stream's <paramref name="serial"/> may be any value (a random one when streams are muxed).
    /// </summary>
    public OggOpusFileWriter(Stream stream, bool ownsStream = true, byte channels = 2, uint serial = 0x4F505553, int maxLate = 50)
        : base(stream, ownsStream, AudioDepacketizer.Instance, maxLate, 48000)
    {
        (_writer, _headers) = OggOpusRtpWriter.Start(serial, new OpusHead(channels, 312, 48000), new OpusTags("Functional.WebRtc", LanguageExt.Seq<string>.Empty));
    }

    public static OggOpusFileWriter Create(string path, byte channels = 2) => new(File.Create(path), channels: channels);

    private byte[] WithHeaders(byte[] bytes)
    {
        if (_headersWritten) return bytes;
        _headersWritten = true;
        return [.. _headers, .. bytes];
    }

    private protected override byte[] Encode(ReassembledSample sample)
    {
        (_writer, var bytes) = _writer.WritePacket(sample.Data.Span, sample.RtpTimestamp);
        // The first packet is held back (to flag the last one end-of-stream): the headers go out with it all the same.
        return _writer.Started ? WithHeaders(bytes) : bytes;
    }

    private protected override (byte[] Tail, byte[]? Header) Finish()
    {
        (_writer, var bytes) = _writer.Finish();
        return (WithHeaders(bytes), null);
    }
}

/// <summary>H.264 RTP (RFC 6184: single NAL, STAP-A, FU-A) to an Annex B byte stream (.h264), starting at the first IDR.</summary>
public sealed class H264FileWriter : RtpFileWriter
{
    private H264AnnexBWriter _writer = H264AnnexBWriter.Initial;

    public H264FileWriter(Stream stream, bool ownsStream = true, int maxLate = 100)
        : base(stream, ownsStream, H264Depacketizer.Instance, maxLate, 90000) { }

    public static H264FileWriter Create(string path) => new(File.Create(path));

    /// <summary>Whether the first IDR access unit has been written.</summary>
    public bool Started => _writer.Started;

    private protected override byte[] Encode(ReassembledSample sample)
    {
        (_writer, var bytes) = _writer.WriteAccessUnit(sample.Data.Span);
        return bytes;
    }

    private protected override (byte[] Tail, byte[]? Header) Finish() => ([], null);
}
