using System.Text;

namespace ShardKit.MySqlClient.Protocol;

/// <summary>
/// The server's OK packet (header 0x00, or 0xFE when it ends a result set under CLIENT_DEPRECATE_EOF), including
/// the session state changes that carry the last committed GTID. <see cref="StateChanged"/> is true when the server
/// reported any other change of session state (variables, user variables, temporary tables, prepared statements,
/// the default schema), which a pooled session must then reset before it is reused.
/// </summary>
internal readonly record struct OkPacket(ulong AffectedRows, ulong LastInsertId, ServerStatus Status, ushort Warnings, string? LastGtid, string? Schema, bool StateChanged)
{
    /// <summary>The name of MariaDB's session variable holding the GTID of the session's last commit.</summary>
    public const string LastGtidVariable = "last_gtid";

    private const byte TrackSystemVariables = 0;
    private const byte TrackSchema = 1;
    private const byte TrackGtids = 3;

    public static OkPacket Parse(ReadOnlySpan<byte> payload, bool sessionTrack)
    {
        var reader = new PayloadReader(payload);
        var header = reader.ReadByte();
        if (header is not (0x00 or 0xFE))
        {
            throw MySqlException.Protocol($"an OK packet starts with 0x{header:X2}");
        }

        var affected = reader.ReadLengthEncodedInteger();
        var insertId = reader.ReadLengthEncodedInteger();
        var status = (ServerStatus)reader.ReadUInt16();
        var warnings = reader.ReadUInt16();
        string? lastGtid = null;
        string? schema = null;
        var stateChanged = false;
        if (sessionTrack && reader.Remaining > 0)
        {
            reader.ReadLengthEncodedBytes(); // human-readable info
            if ((status & ServerStatus.SessionStateChanged) != 0 && reader.Remaining > 0)
            {
                var changes = new PayloadReader(reader.ReadLengthEncodedBytes());
                while (changes.Remaining > 0)
                {
                    var type = changes.ReadByte();
                    var entry = new PayloadReader(changes.ReadLengthEncodedBytes());
                    switch (type)
                    {
                        case TrackSystemVariables:
                            var name = entry.ReadLengthEncodedBytes();
                            var value = entry.ReadLengthEncodedBytes();
                            if (!name.SequenceEqual("last_gtid"u8))
                            {
                                stateChanged = true;
                            }
                            else if (value.Length > 0)
                            {
                                lastGtid = Encoding.ASCII.GetString(value);
                            }

                            break;
                        case TrackSchema:
                            schema = entry.ReadLengthEncodedString();
                            stateChanged = true;
                            break;
                        case TrackGtids:
                            entry.ReadByte(); // encoding specification, 0 = text
                            var gtids = entry.ReadLengthEncodedBytes();
                            if (gtids.Length > 0)
                            {
                                lastGtid = Encoding.ASCII.GetString(gtids);
                            }

                            break;
                        default:
                            // SESSION_TRACK_STATE_CHANGE and the transaction trackers.
                            stateChanged = true;
                            break;
                    }
                }
            }
        }

        return new OkPacket(affected, insertId, status, warnings, lastGtid, schema, stateChanged);
    }

    /// <summary>Whether <paramref name="payload"/> is an OK/EOF packet ending a result set (as opposed to a row).</summary>
    public static bool IsResultSetTerminator(ReadOnlySpan<byte> payload) =>
        payload.Length > 0 && payload[0] == 0xFE && payload.Length < PacketStream.MaxPacketPayload;
}
