using System.Buffers;
using System.Globalization;

namespace Functional.WebRtc.Core.Sdp;

/// <summary>
/// Writes an <see cref="SdpDescription"/> as canonical SDP text: CRLF line ends and the RFC 8866 line order
/// (v o s i u e p c b t r z k a, then each m= section with i c b k a).
/// </summary>
public static class SdpWriter
{
    public static string Write(SdpDescription d)
    {
        var w = new TextBuffer(8192);
        try
        {
            w.Line('v'); w.Append((ulong)d.Version); w.CrLf();
            var o = d.Origin;
            w.Line('o'); w.Append(o.Username); w.Space(); w.Append(o.SessionId); w.Space(); w.Append(o.SessionVersion); w.Space();
            w.Append(o.NetType); w.Space(); w.Append(o.AddrType); w.Space(); w.Append(o.Address); w.CrLf();
            // RFC 8866 section 5.3: a session with no name uses a single space.
            w.Line('s'); if (d.SessionName.IsEmpty) w.Space(); else w.Append(d.SessionName); w.CrLf();
            if (d.Information.TryGet(out var i)) { w.Line('i'); w.Append(i); w.CrLf(); }
            if (d.Uri.TryGet(out var u)) { w.Line('u'); w.Append(u); w.CrLf(); }
            for (var i_e = 0; i_e < d.Emails.Count; i_e++) { var e = d.Emails[i_e]; { w.Line('e'); w.Append(e); w.CrLf(); } }
            for (var i_p = 0; i_p < d.Phones.Count; i_p++) { var p = d.Phones[i_p]; { w.Line('p'); w.Append(p); w.CrLf(); } }
            if (d.Connection.TryGet(out var c)) Connection(ref w, c);
            for (var i_b = 0; i_b < d.Bandwidths.Count; i_b++) { var b = d.Bandwidths[i_b]; Bandwidth(ref w, b); }
            if (d.Timings.Count == 0) { w.Line('t'); w.Append("0 0"); w.CrLf(); }
            for (var ti = 0; ti < d.Timings.Count; ti++)
            {
                var t = d.Timings[ti];
                w.Line('t'); w.Append(t.Start); w.Space(); w.Append(t.Stop); w.CrLf();
                for (var i_r = 0; i_r < t.Repeats.Count; i_r++) { var r = t.Repeats[i_r]; { w.Line('r'); w.Append(r); w.CrLf(); } }
            }
            if (d.ZoneAdjustments.TryGet(out var z)) { w.Line('z'); w.Append(z); w.CrLf(); }
            if (d.EncryptionKey.TryGet(out var k)) { w.Line('k'); w.Append(k); w.CrLf(); }
            for (var i_a = 0; i_a < d.Attributes.Count; i_a++) { var a = d.Attributes[i_a]; Attribute(ref w, a); }
            for (var i_m = 0; i_m < d.Media.Count; i_m++) { var m = d.Media[i_m]; Media(ref w, m); }
            return w.ToString();
        }
        finally
        {
            w.Dispose();
        }
    }

    /// <summary>Writes one media section (its m= line and the lines that follow).</summary>
    public static string Write(MediaDescription m)
    {
        var w = new TextBuffer(1024);
        try
        {
            Media(ref w, m);
            return w.ToString();
        }
        finally
        {
            w.Dispose();
        }
    }

    private static void Media(ref TextBuffer w, MediaDescription m)
    {
        w.Line('m'); w.Append(m.Media); w.Space(); w.Append((ulong)m.Port);
        if (m.PortCount.TryGet(out var n)) { w.Append('/'); w.Append((ulong)n); }
        w.Space(); w.Append(m.Protocol);
        for (var i_f = 0; i_f < m.Formats.Count; i_f++) { var f = m.Formats[i_f]; { w.Space(); w.Append(f); } }
        w.CrLf();
        if (m.Information.TryGet(out var i)) { w.Line('i'); w.Append(i); w.CrLf(); }
        if (m.Connection.TryGet(out var c)) Connection(ref w, c);
        for (var i_b = 0; i_b < m.Bandwidths.Count; i_b++) { var b = m.Bandwidths[i_b]; Bandwidth(ref w, b); }
        if (m.EncryptionKey.TryGet(out var k)) { w.Line('k'); w.Append(k); w.CrLf(); }
        for (var i_a = 0; i_a < m.Attributes.Count; i_a++) { var a = m.Attributes[i_a]; Attribute(ref w, a); }
    }

    private static void Connection(ref TextBuffer w, ConnectionData c)
    {
        w.Line('c'); w.Append(c.NetType); w.Space(); w.Append(c.AddrType); w.Space(); w.Append(c.Address); w.CrLf();
    }

    private static void Bandwidth(ref TextBuffer w, Bandwidth b)
    {
        w.Line('b'); w.Append(b.Type); w.Append(':'); w.Append(b.Value); w.CrLf();
    }

    private static void Attribute(ref TextBuffer w, SdpAttribute a)
    {
        if (a.TryGetLineText(out var text)) { w.AttributeLine(text); return; }
        w.Line('a'); w.Append(a.Name);
        if (a.HasValue) { w.Append(':'); w.Append(a.Value); }
        w.CrLf();
    }

    /// <summary>An append-only char buffer over a pooled array.</summary>
    private struct TextBuffer(int capacity) : IDisposable
    {
        private char[] buffer = ArrayPool<char>.Shared.Rent(capacity);
        private int length;

        private void Grow(int needed)
        {
            var bigger = ArrayPool<char>.Shared.Rent(Math.Max(buffer.Length * 2, length + needed));
            buffer.AsSpan(0, length).CopyTo(bigger);
            ArrayPool<char>.Shared.Return(buffer);
            buffer = bigger;
        }

        public void Append(char c)
        {
            if (length == buffer.Length) Grow(1);
            buffer[length++] = c;
        }

        public void Append(ReadOnlySpan<char> s)
        {
            if (length + s.Length > buffer.Length) Grow(s.Length);
            s.CopyTo(buffer.AsSpan(length));
            length += s.Length;
        }

        public void Append(SdpText s) => Append(s.Span);

        public void Append(ulong n)
        {
            if (length + 20 > buffer.Length) Grow(20);
            n.TryFormat(buffer.AsSpan(length), out var written, default, CultureInfo.InvariantCulture);
            length += written;
        }

        public void Line(char type)
        {
            if (length + 2 > buffer.Length) Grow(2);
            buffer[length++] = type;
            buffer[length++] = '=';
        }

        public void Space() => Append(' ');

        /// <summary><c>a=</c>, the text, CRLF: one bounds check and one copy.</summary>
        public void AttributeLine(ReadOnlySpan<char> text)
        {
            if (length + text.Length + 4 > buffer.Length) Grow(text.Length + 4);
            var span = buffer.AsSpan(length);
            span[0] = 'a';
            span[1] = '=';
            text.CopyTo(span[2..]);
            span[2 + text.Length] = '\r';
            span[3 + text.Length] = '\n';
            length += text.Length + 4;
        }

        public void CrLf()
        {
            if (length + 2 > buffer.Length) Grow(2);
            buffer[length++] = '\r';
            buffer[length++] = '\n';
        }

        public override readonly string ToString() => new(buffer, 0, length);

        public void Dispose()
        {
            if (buffer.Length > 0) ArrayPool<char>.Shared.Return(buffer);
            buffer = [];
        }
    }
}
