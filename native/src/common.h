// Shared pieces of the batch-native Kafka addon: librdkafka errors as JS errors, the
// config map, and the small structs that carry results from worker threads to JS.
#pragma once
#include <napi.h>
#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace tsn {

// A librdkafka error captured on any thread, turned into a JS Error on the JS thread.
struct KafkaError {
  rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string message;
  bool fatal = false;
  bool retriable = false;
};

// Error whose `code` is librdkafka's numeric code and `name` its symbolic name
// (e.g. code -184, name "_QUEUE_FULL"), like node-rdkafka's LibrdKafkaError.
Napi::Error ToJsError(Napi::Env env, const KafkaError& e);
Napi::Object ToJsErrorObject(Napi::Env env, const KafkaError& e);
KafkaError FromErr(rd_kafka_resp_err_t code, const std::string& message = "");
KafkaError FromError(rd_kafka_error_t* error);  // destroys `error`

// Builds an rd_kafka_conf_t from a JS object of string -> string. Throws a JS error naming
// the key (librdkafka's own text for unknown keys and bad values); returns nullptr then.
rd_kafka_conf_t* BuildConf(const Napi::Object& config);

// One topic partition with an offset, as passed to and from JS.
struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = RD_KAFKA_OFFSET_INVALID;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

std::vector<TopicPartition> FromList(const rd_kafka_topic_partition_list_t* list);
rd_kafka_topic_partition_list_t* ToList(const std::vector<TopicPartition>& parts);
Napi::Array ToJsPartitions(Napi::Env env, const std::vector<TopicPartition>& parts);
// Reads [{topic?, partition, offset?}] (topic defaults to `topic`); throws a TypeError
// naming the bad element and returns false on malformed input.
bool ReadPartitions(const Napi::Value& value, const std::string& topic, bool needOffset, std::vector<TopicPartition>& out);

// Errors librdkafka reports through error_cb, kept until JS takes them.
class ErrorBox {
 public:
  void Push(KafkaError e);
  std::vector<KafkaError> Take();
  bool HasFatal() const;
 private:
  mutable std::mutex mu_;
  std::vector<KafkaError> errors_;
  bool fatal_ = false;
};

// What every client hands librdkafka as its opaque (rd_kafka_conf_set_opaque): callbacks
// cast the opaque back to this base, never to the ObjectWrap class.
struct LogLine {
  int level;
  std::string facility, message;
};

struct ClientBase {
  virtual ~ClientBase() = default;
  ErrorBox errors;
  // librdkafka's log lines (instead of its default: text on stderr, which would break the
  // services' JSON logs); JS takes them and logs them its way.
  std::mutex logMu;
  std::vector<LogLine> logs;
  size_t droppedLogs = 0;
  // The latest statistics document (statistics.interval.ms), for reachability and metrics.
  std::mutex statsMu;
  std::string stats;
  bool statsFresh = false;
};

// log_cb for both clients.
void OnLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf);
// takeLogs(): [{level, facility, message}], plus a line counting any dropped.
Napi::Value TakeLogs(Napi::Env env, ClientBase* client);
// takeStats(): the statistics JSON received since the last call, or null.
Napi::Value TakeStats(Napi::Env env, ClientBase* client);
// Sets the callbacks every client has (opaque, error_cb, log_cb).
void SetCommonCallbacks(rd_kafka_conf_t* conf, ClientBase* client);

// error_cb for both clients: records the error in the client's ErrorBox.
void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);

// A promise resolved on the JS thread after work on a libuv worker thread.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
 protected:
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }
  void Fail(const KafkaError& e) { kerr_ = e; SetError(e.message.empty() ? "error" : e.message); }
  // Rejects with a Kafka error (code and name) when Fail() was called.
  bool RejectIfFailed() {
    if (kerr_.code == RD_KAFKA_RESP_ERR_NO_ERROR) return false;
    deferred_.Reject(ToJsError(Env(), kerr_).Value());
    return true;
  }
  Napi::Promise::Deferred deferred_;
  KafkaError kerr_;
};

}  // namespace tsn
