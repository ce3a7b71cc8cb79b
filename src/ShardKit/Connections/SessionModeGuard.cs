using MySqlConnector;

namespace ShardKit.Connections;

/// <summary>
/// Keeps <c>NO_BACKSLASH_ESCAPES</c> out of every ShardKit session, so that the way MySqlConnector escapes parameter values
/// (a backslash doubled, a quote doubled) always means to the server what it means to the driver, whatever the server's
/// global <c>sql_mode</c>. A new session drops the flag from its mode and learns whether the server's global mode has it;
/// only then does a session that the pool reset (which restores the global mode) drop it again, so servers in the usual
/// mode pay one statement per new session and nothing per rental. Quotes are doubled in either mode, so a value can never
/// end its literal; the guard keeps backslashes in values intact. One guard per endpoint pool.
/// </summary>
internal sealed class SessionModeGuard
{
    private const string Pin =
        "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))";

    private volatile bool _globalModeEscapesNothing;

    public async ValueTask OnOpenedAsync(MySqlConnectionOpenedContext context, CancellationToken cancellationToken)
    {
        if ((context.Conditions & MySqlConnectionOpenedConditions.New) != 0)
        {
            var command = new MySqlCommand(Pin + "; SELECT LOCATE('NO_BACKSLASH_ESCAPES', @@GLOBAL.sql_mode) > 0", context.Connection);
            await using var _ = command.ConfigureAwait(false);
            _globalModeEscapesNothing = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) != 0;
        }
        else if ((context.Conditions & MySqlConnectionOpenedConditions.Reset) != 0 && _globalModeEscapesNothing)
        {
            var command = new MySqlCommand(Pin, context.Connection);
            await using var _ = command.ConfigureAwait(false);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
