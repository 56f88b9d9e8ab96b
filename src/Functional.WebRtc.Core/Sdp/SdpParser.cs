using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using LanguageExt;

namespace Functional.WebRtc.Core.Sdp;

/// <summary>
/// Reads SDP text (RFC 8866) into an <see cref="SdpDescription"/>. Values are slices of the input string (no copy per line).
/// Accepts CRLF or LF line ends, trailing spaces and tabs, and blank lines (as browsers do). Never throws: bad input gives
/// <see cref="RtcError.Syntax"/> naming the line. Input size is bounded (<see cref="MaxLength"/>, <see cref="MaxLines"/>,
/// <see cref="MaxLineLength"/>), so the work done is bounded too.
/// </summary>
public static class SdpParser
{
    /// <summary>Longest accepted description, in characters (1 MiB; a browser offer with 100 m= sections is far smaller).</summary>
    public const int MaxLength = 1 << 20;
    /// <summary>Most lines accepted.</summary>
    public const int MaxLines = 20_000;
    /// <summary>Longest accepted line, in characters.</summary>
    public const int MaxLineLength = 16 * 1024;

    public static Either<RtcError, SdpDescription> Parse(string text) =>
        TryParse(text, out var description, out var error) ? description : error;

    public static bool TryParse(string text, [NotNullWhen(true)] out SdpDescription? description, [NotNullWhen(false)] out RtcError? error)
    {
        description = null;
        if (text is null) { error = new RtcError.Syntax("SDP text is null"); return false; }
        if (text.Length > MaxLength)
        {
            error = new RtcError.Syntax($"SDP text is {text.Length} characters long, more than the {MaxLength} accepted");
            return false;
        }
        var parser = new Parser(text);
        try
        {
            return parser.Run(out description, out error);
        }
        finally
        {
            parser.Release();
        }
    }

    private static RtcError Fail(int line, int offset, string what) => new RtcError.Syntax($"line {line}: {what}", line, offset);

    private static bool IsSpace(char c) => c == ' ' || c == '\t';

    /// <summary>Splits the next space-separated token of text[p..end); false when none is left.</summary>
    private static bool NextToken(string text, ref int p, int end, out int start, out int length)
    {
        while (p < end && IsSpace(text[p])) p++;
        start = p;
        while (p < end && !IsSpace(text[p])) p++;
        length = p - start;
        return length > 0;
    }

    private static bool TryUInt64(ReadOnlySpan<char> s, out ulong value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 20) return false;
        foreach (var c in s)
            if ((uint)(c - '0') > 9) return false;
        return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryInt(ReadOnlySpan<char> s, int max, out int value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 10) return false;
        long v = 0;
        foreach (var c in s)
        {
            if ((uint)(c - '0') > 9) return false;
            v = v * 10 + (c - '0');
        }
        if (v > max) return false;
        value = (int)v;
        return true;
    }

    /// <summary>A growable scratch list over a pooled array; the result is copied to an exact-size array.</summary>
    private struct Scratch<T>
    {
        private T[]? items;
        public int Count;
        public int InitialCapacity;

        public T Last
        {
            readonly get => items![Count - 1];
            set => items![Count - 1] = value;
        }

        public void Add(T item)
        {
            if (items is null) items = ArrayPool<T>.Shared.Rent(InitialCapacity);
            else if (Count == items.Length)
            {
                var bigger = ArrayPool<T>.Shared.Rent(items.Length * 2);
                Array.Copy(items, bigger, Count);
                ArrayPool<T>.Shared.Return(items, clearArray: true);
                items = bigger;
            }
            items[Count++] = item;
        }

        /// <summary>The items as an exact-size Arr, and empties the list.</summary>
        public Arr<T> Take()
        {
            if (Count == 0) return Arr<T>.Empty;
            var result = new T[Count];
            Array.Copy(items!, result, Count);
            if (RuntimeHelpersIsReference) Array.Clear(items!, 0, Count);
            Count = 0;
            return Arr.create(result);
        }

        public void Release()
        {
            if (items is null) return;
            // Take clears what it hands out, so only an unfinished list (after an error) needs clearing.
            if (Count > 0 && RuntimeHelpersIsReference) Array.Clear(items, 0, Count);
            ArrayPool<T>.Shared.Return(items);
            items = null;
            Count = 0;
        }

        private static readonly bool RuntimeHelpersIsReference = System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>();
    }

    private struct Parser(string text)
    {
        private readonly string text = text;
        private Scratch<SdpAttribute> attributes = new() { InitialCapacity = 128 };
        private Scratch<MediaDescription> media = new() { InitialCapacity = 16 };
        private Scratch<Bandwidth> bandwidths = new() { InitialCapacity = 4 };
        private Scratch<Timing> timings = new() { InitialCapacity = 4 };
        private Scratch<Bandwidth> mBandwidths = new() { InitialCapacity = 4 };

        // Session level.
        private bool seenVersion, seenOrigin, seenSession;
        private Origin origin;
        private SdpText sessionName;
        private Option<SdpText> information, uri, zone, key;
        private Option<ConnectionData> connection;
        private List<SdpText>? emails, phones;
        private List<SdpText>? repeats;
        private Arr<SdpAttribute> sessionAttributes;

        // Current media section.
        private bool inMedia;
        private SdpText mKind, mProtocol;
        private int mPort;
        private Option<int> mPortCount;
        private Arr<SdpText> mFormats;
        private Option<SdpText> mInformation, mKey;
        private Option<ConnectionData> mConnection;

        private int line;
        private int lineStart;

        public void Release()
        {
            attributes.Release();
            media.Release();
            bandwidths.Release();
            timings.Release();
            mBandwidths.Release();
        }

        private RtcError Error(string what) => Fail(line, lineStart, what);

        public bool Run([NotNullWhen(true)] out SdpDescription? description, [NotNullWhen(false)] out RtcError? error)
        {
            description = null;
            var pos = 0;
            var length = text.Length;
            while (pos < length)
            {
                var nl = text.AsSpan(pos).IndexOf('\n');
                var end = nl < 0 ? length : pos + nl;
                line++;
                lineStart = pos;
                pos = nl < 0 ? length : end + 1;
                if (line > MaxLines) { error = Error($"more than {MaxLines} lines"); return false; }
                while (end > lineStart && text[end - 1] is '\r' or ' ' or '\t') end--;
                if (end == lineStart) continue; // blank line (e.g. the last line end)
                if (end - lineStart > MaxLineLength) { error = Error($"line is longer than {MaxLineLength} characters"); return false; }
                if (end - lineStart < 2 || text[lineStart + 1] != '=' || text[lineStart] is < 'a' or > 'z')
                {
                    error = Error("expected a line of the form <letter>=<value>");
                    return false;
                }
                var type = text[lineStart];
                var vs = lineStart + 2;
                if (type == 'a' && seenVersion)
                {
                    // The hot path: most lines of a WebRTC description are attributes.
                    var colon = text.AsSpan(vs, end - vs).IndexOf(':');
                    if (colon == 0 || vs == end) { error = Error("a= line has an empty attribute name"); return false; }
                    attributes.Add(new SdpAttribute(text, vs, colon < 0 ? end - vs : colon, colon < 0 ? -1 : end - vs - colon - 1));
                    continue;
                }
                if (!seenVersion)
                {
                    if (type != 'v') { error = Error("the first line must be v=0"); return false; }
                    if (end - vs != 1 || text[vs] != '0') { error = Error("unsupported protocol version (v= must be 0)"); return false; }
                    seenVersion = true;
                    continue;
                }
                if (!(inMedia ? MediaLine(type, vs, end, out var lineError) : SessionLine(type, vs, end, out lineError)))
                {
                    error = lineError ?? Error("invalid line");
                    return false;
                }
            }
            line++;
            lineStart = length;
            if (!seenVersion) { error = Error("empty description: no v= line"); return false; }
            if (!seenOrigin) { error = Error("missing o= line"); return false; }
            if (!seenSession) { error = Error("missing s= line"); return false; }
            if (timings.Count == 0) { error = Error("missing t= line"); return false; }
            if (inMedia) EndMedia();
            else sessionAttributes = attributes.Take();
            description = new SdpDescription
            {
                Version = 0,
                Origin = origin,
                SessionName = sessionName,
                Information = information,
                Uri = uri,
                Emails = ToArr(emails),
                Phones = ToArr(phones),
                Connection = connection,
                Bandwidths = bandwidths.Take(),
                Timings = timings.Take(),
                ZoneAdjustments = zone,
                EncryptionKey = key,
                Attributes = sessionAttributes,
                Media = media.Take(),
            };
            error = null;
            return true;
        }

        private static Arr<T> ToArr<T>(List<T>? list) => list is null ? Arr<T>.Empty : Arr.create(list.ToArray());

        private SdpText Slice(int start, int end) => new(text, start, end - start, true);

        private bool SessionLine(char type, int vs, int end, out RtcError? error)
        {
            error = null;
            switch (type)
            {
                case 'a':
                    return Attribute(vs, end, out error);
                case 'm':
                    sessionAttributes = attributes.Take();
                    return MediaHeader(vs, end, out error);
                case 'o':
                    if (seenOrigin) { error = Error("more than one o= line"); return false; }
                    seenOrigin = true;
                    return OriginLine(vs, end, out error);
                case 's':
                    if (seenSession) { error = Error("more than one s= line"); return false; }
                    seenSession = true;
                    sessionName = Slice(vs, end);
                    return true;
                case 'i':
                    if (information.IsSome) { error = Error("more than one i= line"); return false; }
                    information = Slice(vs, end);
                    return true;
                case 'u':
                    if (uri.IsSome) { error = Error("more than one u= line"); return false; }
                    uri = Slice(vs, end);
                    return true;
                case 'e':
                    (emails ??= new()).Add(Slice(vs, end));
                    return true;
                case 'p':
                    (phones ??= new()).Add(Slice(vs, end));
                    return true;
                case 'c':
                    if (connection.IsSome) { error = Error("more than one c= line at session level"); return false; }
                    if (!ConnectionLine(vs, end, out var c, out error)) return false;
                    connection = c;
                    return true;
                case 'b':
                    if (!BandwidthLine(vs, end, out var b, out error)) return false;
                    bandwidths.Add(b);
                    return true;
                case 't':
                    return TimingLine(vs, end, out error);
                case 'r':
                    if (timings.Count == 0) { error = Error("r= line before any t= line"); return false; }
                    if (end == vs) { error = Error("empty r= line"); return false; }
                    (repeats ??= new()).Add(Slice(vs, end));
                    timings.Last = timings.Last with { Repeats = Arr.create(repeats.ToArray()) };
                    return true;
                case 'z':
                    if (zone.IsSome) { error = Error("more than one z= line"); return false; }
                    if (end == vs) { error = Error("empty z= line"); return false; }
                    zone = Slice(vs, end);
                    return true;
                case 'k':
                    if (key.IsSome) { error = Error("more than one k= line at session level"); return false; }
                    key = Slice(vs, end);
                    return true;
                case 'v':
                    error = Error("more than one v= line");
                    return false;
                default:
                    error = Error($"unknown line type '{type}='");
                    return false;
            }
        }

        private bool MediaLine(char type, int vs, int end, out RtcError? error)
        {
            error = null;
            switch (type)
            {
                case 'a':
                    return Attribute(vs, end, out error);
                case 'm':
                    EndMedia();
                    return MediaHeader(vs, end, out error);
                case 'i':
                    if (mInformation.IsSome) { error = Error("more than one i= line in a media section"); return false; }
                    mInformation = Slice(vs, end);
                    return true;
                case 'c':
                    if (mConnection.IsSome) { error = Error("more than one c= line in a media section"); return false; }
                    if (!ConnectionLine(vs, end, out var c, out error)) return false;
                    mConnection = c;
                    return true;
                case 'b':
                    if (!BandwidthLine(vs, end, out var b, out error)) return false;
                    mBandwidths.Add(b);
                    return true;
                case 'k':
                    if (mKey.IsSome) { error = Error("more than one k= line in a media section"); return false; }
                    mKey = Slice(vs, end);
                    return true;
                case 'v' or 'o' or 's' or 'u' or 'e' or 'p' or 't' or 'r' or 'z':
                    error = Error($"'{type}=' is not allowed in a media section");
                    return false;
                default:
                    error = Error($"unknown line type '{type}='");
                    return false;
            }
        }

        private bool Attribute(int vs, int end, out RtcError? error)
        {
            var colon = text.AsSpan(vs, end - vs).IndexOf(':');
            if (colon == 0 || vs == end) { error = Error("a= line has an empty attribute name"); return false; }
            attributes.Add(colon < 0
                ? new SdpAttribute(text, vs, end - vs, -1)
                : new SdpAttribute(text, vs, colon, end - vs - colon - 1));
            error = null;
            return true;
        }

        private bool OriginLine(int vs, int end, out RtcError? error)
        {
            var p = vs;
            if (!NextToken(text, ref p, end, out var us, out var ul)) { error = Error("o= line has no username"); return false; }
            if (!NextToken(text, ref p, end, out var ids, out var idl)) { error = Error("o= line has no session id"); return false; }
            if (!TryUInt64(text.AsSpan(ids, idl), out var id)) { error = Error("o= line has a non-numeric session id"); return false; }
            if (!NextToken(text, ref p, end, out var vers, out var verl)) { error = Error("o= line has no session version"); return false; }
            if (!TryUInt64(text.AsSpan(vers, verl), out var version)) { error = Error("o= line has a non-numeric session version"); return false; }
            if (!NextToken(text, ref p, end, out var ns, out var nl)) { error = Error("o= line has no network type"); return false; }
            if (!NextToken(text, ref p, end, out var ats, out var atl)) { error = Error("o= line has no address type"); return false; }
            if (!NextToken(text, ref p, end, out var ads, out var adl)) { error = Error("o= line has no address"); return false; }
            if (NextToken(text, ref p, end, out _, out _)) { error = Error("o= line has more than six fields"); return false; }
            origin = new Origin(Slice(us, us + ul), id, version, Slice(ns, ns + nl), Slice(ats, ats + atl), Slice(ads, ads + adl));
            error = null;
            return true;
        }

        private bool ConnectionLine(int vs, int end, out ConnectionData connectionData, out RtcError? error)
        {
            connectionData = default;
            var p = vs;
            if (!NextToken(text, ref p, end, out var ns, out var nl)
                || !NextToken(text, ref p, end, out var ats, out var atl)
                || !NextToken(text, ref p, end, out var ads, out var adl))
            {
                error = Error("c= line needs <nettype> <addrtype> <connection-address>");
                return false;
            }
            if (NextToken(text, ref p, end, out _, out _)) { error = Error("c= line has more than three fields"); return false; }
            connectionData = new ConnectionData(Slice(ns, ns + nl), Slice(ats, ats + atl), Slice(ads, ads + adl));
            error = null;
            return true;
        }

        private bool BandwidthLine(int vs, int end, out Bandwidth bandwidth, out RtcError? error)
        {
            bandwidth = default;
            var colon = text.AsSpan(vs, end - vs).IndexOf(':');
            if (colon <= 0) { error = Error("b= line needs <bwtype>:<bandwidth>"); return false; }
            if (!TryUInt64(text.AsSpan(vs + colon + 1, end - vs - colon - 1), out var value))
            {
                error = Error("b= line has a non-numeric bandwidth");
                return false;
            }
            bandwidth = new Bandwidth(Slice(vs, vs + colon), value);
            error = null;
            return true;
        }

        private bool TimingLine(int vs, int end, out RtcError? error)
        {
            var p = vs;
            if (!NextToken(text, ref p, end, out var ss, out var sl) || !NextToken(text, ref p, end, out var es, out var el))
            {
                error = Error("t= line needs <start-time> <stop-time>");
                return false;
            }
            if (NextToken(text, ref p, end, out _, out _)) { error = Error("t= line has more than two fields"); return false; }
            if (!TryUInt64(text.AsSpan(ss, sl), out var start)) { error = Error("t= line has a non-numeric start time"); return false; }
            if (!TryUInt64(text.AsSpan(es, el), out var stop)) { error = Error("t= line has a non-numeric stop time"); return false; }
            timings.Add(new Timing(start, stop));
            repeats = null;
            error = null;
            return true;
        }

        private bool MediaHeader(int vs, int end, out RtcError? error)
        {
            if (timings.Count == 0) { error = Error("m= line before any t= line"); return false; }
            inMedia = true;
            var p = vs;
            if (!NextToken(text, ref p, end, out var ks, out var kl)) { error = Error("m= line has no media type"); return false; }
            if (!NextToken(text, ref p, end, out var ps, out var pl)) { error = Error("m= line has no port"); return false; }
            var port = text.AsSpan(ps, pl);
            var slash = port.IndexOf('/');
            mPortCount = Option<int>.None;
            if (slash >= 0)
            {
                if (!TryInt(port[(slash + 1)..], 65535, out var count)) { error = Error("m= line has a non-numeric port count"); return false; }
                mPortCount = count;
                port = port[..slash];
            }
            if (!TryInt(port, int.MaxValue, out mPort)) { error = Error("m= line has a non-numeric port"); return false; }
            if (mPort > 65535) { error = Error("m= line has a port above 65535"); return false; }
            if (!NextToken(text, ref p, end, out var prs, out var prl)) { error = Error("m= line has no protocol"); return false; }
            mKind = Slice(ks, ks + kl);
            mProtocol = Slice(prs, prs + prl);

            // Formats: count first, then fill an exact-size array.
            var count2 = 0;
            var q = p;
            while (NextToken(text, ref q, end, out _, out _)) count2++;
            if (count2 == 0) mFormats = Arr<SdpText>.Empty;
            else
            {
                var formats = new SdpText[count2];
                for (var i = 0; i < count2; i++)
                {
                    NextToken(text, ref p, end, out var fs, out var fl);
                    formats[i] = Slice(fs, fs + fl);
                }
                mFormats = Arr.create(formats);
            }
            mInformation = Option<SdpText>.None;
            mKey = Option<SdpText>.None;
            mConnection = Option<ConnectionData>.None;
            mBandwidths.Take();
            error = null;
            return true;
        }

        private void EndMedia()
        {
            media.Add(new MediaDescription(mKind, mPort, mProtocol, mFormats)
            {
                PortCount = mPortCount,
                Information = mInformation,
                Connection = mConnection,
                Bandwidths = mBandwidths.Take(),
                EncryptionKey = mKey,
                Attributes = attributes.Take(),
            });
        }
    }
}
