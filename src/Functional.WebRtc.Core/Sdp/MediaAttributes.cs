using System.Text;
using LanguageExt;
using static Functional.WebRtc.Core.Sdp.SdpTokens;

namespace Functional.WebRtc.Core.Sdp;

/// <summary><c>a=rtpmap:&lt;payload type&gt; &lt;encoding name&gt;/&lt;clock rate&gt;[/&lt;channels&gt;]</c> (RFC 8866 section 6.6).</summary>
public sealed record RtpMap(int PayloadType, string EncodingName, int ClockRate, Option<int> Channels = default)
{
    public const string AttributeName = "rtpmap";

    public static Either<RtcError, RtpMap> Parse(SdpText value)
    {
        var rest = value.Span;
        if (!TryInt(Next(ref rest), 0, 127, out var pt)) return Error(AttributeName, "invalid payload type");
        var encoding = Next(ref rest);
        if (!Next(ref rest).IsEmpty) return Error(AttributeName, "unexpected text after the encoding");
        var slash = encoding.IndexOf('/');
        if (slash <= 0) return Error(AttributeName, "expected <encoding name>/<clock rate>");
        var name = encoding[..slash];
        var tail = encoding[(slash + 1)..];
        var slash2 = tail.IndexOf('/');
        var rate = slash2 < 0 ? tail : tail[..slash2];
        if (!TryInt(rate, 1, int.MaxValue, out var clockRate)) return Error(AttributeName, "invalid clock rate");
        Option<int> channels = default;
        if (slash2 >= 0)
        {
            if (!TryInt(tail[(slash2 + 1)..], 1, 255, out var ch)) return Error(AttributeName, "invalid channel count");
            channels = ch;
        }
        return new RtpMap(pt, name.ToString(), clockRate, channels);
    }

    public override string ToString() =>
        $"{Str(PayloadType)} {EncodingName}/{Str(ClockRate)}" + Channels.Match(c => "/" + Str(c), () => "");
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary>
/// <c>a=fmtp:&lt;format&gt; &lt;format specific parameters&gt;</c> (RFC 8866 section 6.15). <see cref="Raw"/> keeps the text;
/// <see cref="Parameters"/> is its <c>name=value;...</c> reading, in order.
/// </summary>
public sealed record Fmtp(int PayloadType, string Raw)
{
    public const string AttributeName = "fmtp";

    public Arr<SdpParameter> Parameters => SdpParameter.ParseList(Raw);

    public static Fmtp Create(int payloadType, params SdpParameter[] parameters) => new(payloadType, SdpParameter.FormatList(parameters));
    public static Fmtp Create(int payloadType, params (string Name, string Value)[] parameters) =>
        new(payloadType, SdpParameter.FormatList(parameters.Select(p => new SdpParameter(p.Name, p.Value))));

    /// <summary>The value of a parameter (names compared case-insensitively, as the codec RFCs ask).</summary>
    public Option<string> Get(string name)
    {
        foreach (var p in Parameters)
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        return Option<string>.None;
    }

    public static Either<RtcError, Fmtp> Parse(SdpText value)
    {
        var s = value.Span.TrimStart(' ');
        var space = s.IndexOf(' ');
        var pt = space < 0 ? s : s[..space];
        if (!TryInt(pt, 0, 127, out var payloadType)) return Error(AttributeName, "invalid payload type");
        return new Fmtp(payloadType, space < 0 ? "" : s[(space + 1)..].Trim(' ').ToString());
    }

    public override string ToString() => Raw.Length == 0 ? Str(PayloadType) : Str(PayloadType) + " " + Raw;
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary><c>a=rtcp-fb:&lt;pt or *&gt; &lt;type&gt; [&lt;subtype and parameters&gt;]</c> (RFC 4585 section 4.2).</summary>
public sealed record RtcpFeedback(string PayloadType, string Type, Option<string> Subtype = default)
{
    public const string AttributeName = "rtcp-fb";

    public bool IsWildcard => PayloadType == "*";
    public Option<int> PayloadTypeNumber => TryInt(PayloadType, 0, 127, out var pt) ? pt : Option<int>.None;

    public static RtcpFeedback For(int payloadType, string type, string? subtype = null) =>
        new(Str(payloadType), type, subtype is null ? Option<string>.None : subtype);

    public static Either<RtcError, RtcpFeedback> Parse(SdpText value)
    {
        var rest = value.Span;
        var pt = Next(ref rest);
        if (!(pt.SequenceEqual("*") || TryInt(pt, 0, 127, out _))) return Error(AttributeName, "payload type must be a number or *");
        var type = Next(ref rest);
        if (!IsToken(type)) return Error(AttributeName, "missing feedback type");
        var sub = rest.Trim(' ');
        return new RtcpFeedback(pt.ToString(), type.ToString(), sub.IsEmpty ? Option<string>.None : sub.ToString());
    }

    public override string ToString() => PayloadType + " " + Type + Subtype.Match(s => " " + s, () => "");
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary><c>a=rtcp:&lt;port&gt; [&lt;nettype&gt; &lt;addrtype&gt; &lt;connection-address&gt;]</c> (RFC 3605).</summary>
public sealed record RtcpAttribute(int Port, Option<ConnectionData> Connection = default)
{
    public const string AttributeName = "rtcp";

    public static Either<RtcError, RtcpAttribute> Parse(SdpText value)
    {
        var rest = value.Span;
        if (!TryInt(Next(ref rest), 0, 65535, out var port)) return Error(AttributeName, "invalid port");
        var net = Next(ref rest);
        if (net.IsEmpty) return new RtcpAttribute(port);
        var addrType = Next(ref rest);
        var address = Next(ref rest);
        if (address.IsEmpty || !Next(ref rest).IsEmpty) return Error(AttributeName, "expected <port> <nettype> <addrtype> <address>");
        return new RtcpAttribute(port, new ConnectionData(net.ToString(), addrType.ToString(), address.ToString()));
    }

    public override string ToString() =>
        Str(Port) + Connection.Match(c => $" {c.NetType} {c.AddrType} {c.Address}", () => "");
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary><c>a=extmap:&lt;id&gt;[/&lt;direction&gt;] &lt;URI&gt; [&lt;extension attributes&gt;]</c> (RFC 8285 section 8).</summary>
public sealed record ExtMap(int Id, string Uri, Option<SdpDirection> Direction = default, Option<string> Attributes = default)
{
    public const string AttributeName = "extmap";

    public static Either<RtcError, ExtMap> Parse(SdpText value)
    {
        var rest = value.Span;
        var idDir = Next(ref rest);
        var slash = idDir.IndexOf('/');
        var idText = slash < 0 ? idDir : idDir[..slash];
        // 1-14 for one-byte headers, 1-255 for two-byte headers (RFC 8285 section 5).
        if (!TryInt(idText, 1, 255, out var id)) return Error(AttributeName, "invalid extension id");
        Option<SdpDirection> direction = default;
        if (slash >= 0)
        {
            direction = SdpEnums.ParseDirection(idDir[(slash + 1)..]);
            if (direction.IsNone) return Error(AttributeName, "invalid direction");
        }
        var uri = Next(ref rest);
        if (!IsToken(uri)) return Error(AttributeName, "missing URI");
        var attrs = rest.Trim(' ');
        return new ExtMap(id, uri.ToString(), direction, attrs.IsEmpty ? Option<string>.None : attrs.ToString());
    }

    public override string ToString() =>
        Str(Id) + Direction.Match(d => "/" + d.ToSdp(), () => "") + " " + Uri + Attributes.Match(a => " " + a, () => "");
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary><c>a=msid:&lt;stream id&gt; [&lt;track id&gt;]</c> (RFC 8830).</summary>
public sealed record Msid(string StreamId, Option<string> TrackId = default)
{
    public const string AttributeName = "msid";

    public static Either<RtcError, Msid> Parse(SdpText value)
    {
        var rest = value.Span;
        var stream = Next(ref rest);
        if (!IsToken(stream)) return Error(AttributeName, "missing stream id");
        var track = Next(ref rest);
        if (!Next(ref rest).IsEmpty) return Error(AttributeName, "more than two identifiers");
        return new Msid(stream.ToString(), track.IsEmpty ? Option<string>.None : track.ToString());
    }

    public override string ToString() => StreamId + TrackId.Match(t => " " + t, () => "");
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary><c>a=ssrc:&lt;ssrc-id&gt; &lt;attribute&gt;[:&lt;value&gt;]</c> (RFC 5576 section 4.1).</summary>
public sealed record SsrcAttribute(uint Ssrc, string Attribute, Option<string> Value = default)
{
    public const string AttributeName = "ssrc";

    public static Either<RtcError, SsrcAttribute> Parse(SdpText value)
    {
        var s = value.Span.TrimStart(' ');
        var space = s.IndexOf(' ');
        if (!TryUInt32(space < 0 ? s : s[..space], out var ssrc)) return Error(AttributeName, "invalid ssrc");
        if (space < 0) return Error(AttributeName, "missing source attribute");
        var attr = s[(space + 1)..].TrimStart(' ');
        var colon = attr.IndexOf(':');
        var name = colon < 0 ? attr : attr[..colon];
        if (name.IsEmpty) return Error(AttributeName, "missing source attribute");
        return new SsrcAttribute(ssrc, name.ToString(), colon < 0 ? Option<string>.None : attr[(colon + 1)..].ToString());
    }

    public override string ToString() => Str(Ssrc) + " " + Attribute + Value.Match(v => ":" + v, () => "");
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary><c>a=ssrc-group:&lt;semantics&gt; *(SP ssrc-id)</c> (RFC 5576 section 4.2), e.g. FID for RTX, FEC-FR.</summary>
public sealed record SsrcGroup(string Semantics, Arr<uint> Ssrcs)
{
    public const string AttributeName = "ssrc-group";

    public SsrcGroup(string semantics, params uint[] ssrcs) : this(semantics, Arr.create(ssrcs)) { }

    public static Either<RtcError, SsrcGroup> Parse(SdpText value)
    {
        var rest = value.Span;
        var semantics = Next(ref rest);
        if (!IsToken(semantics)) return Error(AttributeName, "missing semantics");
        var list = new List<uint>();
        while (true)
        {
            var t = Next(ref rest);
            if (t.IsEmpty) break;
            if (!TryUInt32(t, out var ssrc)) return Error(AttributeName, "invalid ssrc");
            list.Add(ssrc);
        }
        return new SsrcGroup(semantics.ToString(), Arr.create(list.ToArray()));
    }

    public override string ToString() => Ssrcs.IsEmpty ? Semantics : Semantics + " " + string.Join(" ", Ssrcs.Select(Str));
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary>rid-dir (RFC 8851).</summary>
public enum RidDirection { Send, Recv }

/// <summary><c>a=rid:&lt;rid-id&gt; send|recv [pt=..;max-width=..;...]</c> (RFC 8851 section 10).</summary>
public sealed record Rid(string Id, RidDirection Direction, Option<string> Restrictions = default)
{
    public const string AttributeName = "rid";

    /// <summary>The restrictions as ordered parameters (<c>pt=97,98;max-width=1280</c>).</summary>
    public Arr<SdpParameter> Parameters => Restrictions.Match(r => SdpParameter.ParseList(r), () => Arr<SdpParameter>.Empty);

    /// <summary>The payload types of a <c>pt=</c> restriction, if any.</summary>
    public Seq<int> PayloadTypes =>
        Parameters.Find(p => p.Name == "pt").Bind(p => p.Value)
            .Map(v => v.Split(',').Select(x => TryInt(x.AsSpan().Trim(' '), 0, 127, out var n) ? n : -1).Where(n => n >= 0).ToSeq())
            .IfNone(Seq<int>.Empty);

    public static Either<RtcError, Rid> Parse(SdpText value)
    {
        var rest = value.Span;
        var id = Next(ref rest);
        // rid-id = 1*(alpha-numeric / "-" / "_")
        if (id.IsEmpty || id.ContainsAnyExcept(RidChars)) return Error(AttributeName, "invalid rid id");
        var dir = Next(ref rest);
        RidDirection direction;
        if (dir.SequenceEqual("send")) direction = RidDirection.Send;
        else if (dir.SequenceEqual("recv")) direction = RidDirection.Recv;
        else return Error(AttributeName, "direction must be send or recv");
        var restrictions = rest.Trim(' ');
        return new Rid(id.ToString(), direction, restrictions.IsEmpty ? Option<string>.None : restrictions.ToString());
    }

    private static readonly System.Buffers.SearchValues<char> RidChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public override string ToString() =>
        Id + (Direction == RidDirection.Send ? " send" : " recv") + Restrictions.Match(r => " " + r, () => "");
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary>One rid in a simulcast stream list; <see cref="Paused"/> is the <c>~</c> prefix.</summary>
public sealed record SimulcastRid(string Id, bool Paused = false)
{
    public override string ToString() => Paused ? "~" + Id : Id;
}

/// <summary>
/// <c>a=simulcast:[send &lt;streams&gt;] [recv &lt;streams&gt;]</c> (RFC 8853 section 5.1): streams separated by ';',
/// each a list of alternative rids separated by ','.
/// </summary>
public sealed record Simulcast(Arr<Arr<SimulcastRid>> Send, Arr<Arr<SimulcastRid>> Receive)
{
    public const string AttributeName = "simulcast";

    public static Either<RtcError, Simulcast> Parse(SdpText value)
    {
        var rest = value.Span;
        Option<Arr<Arr<SimulcastRid>>> send = default, recv = default;
        while (true)
        {
            var dir = Next(ref rest);
            if (dir.IsEmpty) break;
            var list = Next(ref rest);
            if (list.IsEmpty) return Error(AttributeName, "direction without a stream list");
            var streams = ParseStreams(list);
            if (streams.IsNone) return Error(AttributeName, "invalid stream list");
            if (dir.SequenceEqual("send") && send.IsNone) send = streams;
            else if (dir.SequenceEqual("recv") && recv.IsNone) recv = streams;
            else return Error(AttributeName, "direction must be send or recv, each at most once");
        }
        if (send.IsNone && recv.IsNone) return Error(AttributeName, "no stream list");
        return new Simulcast(send.IfNone(Arr<Arr<SimulcastRid>>.Empty), recv.IfNone(Arr<Arr<SimulcastRid>>.Empty));
    }

    private static Option<Arr<Arr<SimulcastRid>>> ParseStreams(ReadOnlySpan<char> list)
    {
        var streams = new List<Arr<SimulcastRid>>();
        foreach (var range in list.Split(';'))
        {
            var alternatives = new List<SimulcastRid>();
            var stream = list[range];
            foreach (var r in stream.Split(','))
            {
                var rid = stream[r];
                var paused = rid.StartsWith("~");
                if (paused) rid = rid[1..];
                if (rid.IsEmpty) return Option<Arr<Arr<SimulcastRid>>>.None;
                alternatives.Add(new SimulcastRid(rid.ToString(), paused));
            }
            streams.Add(Arr.create(alternatives.ToArray()));
        }
        return Arr.create(streams.ToArray());
    }

    private static string Format(Arr<Arr<SimulcastRid>> streams) =>
        string.Join(";", streams.Select(alts => string.Join(",", alts.Select(r => r.ToString()))));

    public override string ToString()
    {
        var b = new StringBuilder();
        if (!Send.IsEmpty) b.Append("send ").Append(Format(Send));
        if (!Receive.IsEmpty) b.Append(b.Length > 0 ? " " : "").Append("recv ").Append(Format(Receive));
        return b.ToString();
    }

    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}

/// <summary>The legacy <c>a=sctpmap:&lt;port&gt; &lt;app&gt; [&lt;streams&gt;]</c> (draft-ietf-mmusic-sctp-sdp-05, older browsers).</summary>
public sealed record SctpMap(int Port, string Application, Option<int> Streams = default)
{
    public const string AttributeName = "sctpmap";

    public static Either<RtcError, SctpMap> Parse(SdpText value)
    {
        var rest = value.Span;
        if (!TryInt(Next(ref rest), 0, 65535, out var port)) return Error(AttributeName, "invalid port");
        var app = Next(ref rest);
        if (!IsToken(app)) return Error(AttributeName, "missing application");
        var streamsText = Next(ref rest);
        Option<int> streams = default;
        if (!streamsText.IsEmpty)
        {
            if (!TryInt(streamsText, 0, 65535, out var n)) return Error(AttributeName, "invalid stream count");
            streams = n;
        }
        return new SctpMap(port, app.ToString(), streams);
    }

    public override string ToString() => Str(Port) + " " + Application + Streams.Match(s => " " + Str(s), () => "");
    public SdpAttribute ToAttribute() => new(AttributeName, ToString());
}
