/*
 * Runs SQL on Trino (a single-node server in this JVM) with the Hive connector over a lake
 * folder: the tables declared as Glue declares them (the columns of lib/lake.ts, dt a string
 * partition key), partitions registered from the folders, and each query executed as
 * Athena executes a parameterized query: PREPARE, then EXECUTE ... USING <literals>.
 *
 *   java -cp '<libs>/*' TrinoCheck.java <lake> <metastore dir> <job.json>
 *
 * job.json: { "tables": [{ "name", "location", "columns": "symbol varchar, ts timestamp(3), ...", "schema"? }],
 *             "queries": [{ "name", "sql", "params": ["'NYA'", "3600", ...], "schema"? }] }.
 * A schema (default "tickstream") holds one lake's tables, so one run can compare two lakes
 * (before and after a compaction) with the same unqualified SQL.
 * Prints one JSON line per query: { name, columns, types, rows (cells as Athena prints them) }
 * or { name, error }.
 */
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trino.Session;
import io.trino.plugin.hive.HiveConnectorFactory;
import io.trino.spi.Plugin;
import io.trino.spi.connector.ConnectorFactory;
import io.trino.spi.type.TimeZoneKey;
import io.trino.testing.MaterializedResult;
import io.trino.testing.MaterializedRow;
import io.trino.testing.StandaloneQueryRunner;
import java.io.File;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import static io.trino.testing.TestingSession.testSessionBuilder;

public class TrinoCheck {
  private static final DateTimeFormatter ATHENA_TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

  public static void main(String[] args) throws Exception {
    String lake = args[0];
    String metastore = args[1];
    JsonNode job = new ObjectMapper().readTree(new File(args[2]));
    Session session = testSessionBuilder().setCatalog("hive").setSchema("tickstream").setTimeZoneKey(TimeZoneKey.UTC_KEY).build();
    StandaloneQueryRunner runner = new StandaloneQueryRunner(session);
    runner.installPlugin(new Plugin() {
      @Override
      public Iterable<ConnectorFactory> getConnectorFactories() {
        return List.of(new HiveConnectorFactory());
      }
    });
    Map<String, String> props = new HashMap<>();
    props.put("hive.metastore", "file");
    props.put("hive.metastore.catalog.dir", "file://" + metastore);
    props.put("hive.parquet.time-zone", "UTC");
    runner.createCatalog("hive", "hive", props);
    for (JsonNode t : job.get("tables")) {
      String schema = t.path("schema").asText("tickstream");
      String name = t.get("name").asText();
      runner.execute("CREATE SCHEMA IF NOT EXISTS hive." + schema);
      runner.execute("CREATE TABLE " + schema + "." + name + " (" + t.get("columns").asText() + ", dt varchar) "
          + "WITH (external_location = 'file://" + lake + "/" + t.get("location").asText() + "', format = 'PARQUET', partitioned_by = ARRAY['dt'])");
      runner.execute("CALL system.sync_partition_metadata('" + schema + "', '" + name + "', 'ADD')");
    }

    ObjectMapper json = new ObjectMapper();
    for (JsonNode q : job.get("queries")) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("name", q.get("name").asText());
      try {
        List<String> params = new ArrayList<>();
        q.get("params").forEach(p -> params.add(p.asText()));
        Session prepared = Session.builder(session).setSchema(q.path("schema").asText("tickstream"))
            .addPreparedStatement("q", q.get("sql").asText()).build();
        MaterializedResult result = runner.execute(prepared, params.isEmpty() ? "EXECUTE q" : "EXECUTE q USING " + String.join(", ", params));
        out.put("columns", result.getColumnNames());
        List<String> types = new ArrayList<>();
        result.getTypes().forEach(t -> types.add(t.getDisplayName()));
        out.put("types", types);
        List<List<String>> rows = new ArrayList<>();
        for (MaterializedRow row : result.getMaterializedRows()) {
          List<String> cells = new ArrayList<>();
          for (Object v : row.getFields()) {
            cells.add(v == null ? null : v instanceof LocalDateTime t ? t.format(ATHENA_TIMESTAMP) : v.toString());
          }
          rows.add(cells);
        }
        out.put("rows", rows);
      } catch (Throwable e) {
        out.put("error", e.getMessage());
      }
      System.out.println(json.writeValueAsString(out));
    }
    runner.close();
  }
}
