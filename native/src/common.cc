#include "common.h"

namespace tsn {

Napi::Object ToJsErrorObject(Napi::Env env, const KafkaError& e) {
  return ToJsError(env, e).Value();
}

Napi::Error ToJsError(Napi::Env env, const KafkaError& e) {
  std::string msg = e.message.empty() ? rd_kafka_err2str(e.code) : e.message;
  Napi::Error err = Napi::Error::New(env, msg);
  err.Set("code", Napi::Number::New(env, e.code));
  err.Set("name", Napi::String::New(env, rd_kafka_err2name(e.code)));
  err.Set("isFatal", Napi::Boolean::New(env, e.fatal));
  err.Set("isRetriable", Napi::Boolean::New(env, e.retriable));
  return err;
}

KafkaError FromErr(rd_kafka_resp_err_t code, const std::string& message) {
  KafkaError e;
  e.code = code;
  e.message = message.empty() ? rd_kafka_err2str(code) : message;
  return e;
}

KafkaError FromError(rd_kafka_error_t* error) {
  KafkaError e;
  if (!error) return e;
  e.code = rd_kafka_error_code(error);
  e.message = rd_kafka_error_string(error);
  e.fatal = rd_kafka_error_is_fatal(error);
  e.retriable = rd_kafka_error_is_retriable(error);
  rd_kafka_error_destroy(error);
  return e;
}

rd_kafka_conf_t* BuildConf(const Napi::Object& config) {
  Napi::Env env = config.Env();
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Napi::Array keys = config.GetPropertyNames();
  char errstr[512];
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string key = keys.Get(i).ToString();
    Napi::Value v = config.Get(key);
    if (!v.IsString()) {
      rd_kafka_conf_destroy(conf);
      Napi::TypeError::New(env, "config key \"" + key + "\": value must be a string").ThrowAsJavaScriptException();
      return nullptr;
    }
    std::string value = v.As<Napi::String>();
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      Napi::Error::New(env, std::string("config key \"") + key + "\": " + errstr).ThrowAsJavaScriptException();
      return nullptr;
    }
  }
  return conf;
}

std::vector<TopicPartition> FromList(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (!list) return out;
  out.reserve(list->cnt);
  for (int i = 0; i < list->cnt; i++) {
    const auto& p = list->elems[i];
    out.push_back({p.topic, p.partition, p.offset, p.err});
  }
  return out;
}

rd_kafka_topic_partition_list_t* ToList(const std::vector<TopicPartition>& parts) {
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
  for (const auto& p : parts) rd_kafka_topic_partition_list_add(list, p.topic.c_str(), p.partition)->offset = p.offset;
  return list;
}

Napi::Array ToJsPartitions(Napi::Env env, const std::vector<TopicPartition>& parts) {
  Napi::Array arr = Napi::Array::New(env, parts.size());
  for (size_t i = 0; i < parts.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("topic", parts[i].topic);
    o.Set("partition", parts[i].partition);
    o.Set("offset", static_cast<double>(parts[i].offset));
    if (parts[i].err) o.Set("error", ToJsErrorObject(env, FromErr(parts[i].err)));
    arr.Set(i, o);
  }
  return arr;
}

static bool IsInt(const Napi::Value& v, double lo, double hi) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  return d >= lo && d <= hi && static_cast<double>(static_cast<int64_t>(d)) == d;
}

bool ReadPartitions(const Napi::Value& value, const std::string& topic, bool needOffset, std::vector<TopicPartition>& out) {
  Napi::Env env = value.Env();
  if (!value.IsArray()) {
    Napi::TypeError::New(env, "expected an array of {partition, offset}").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Array arr = value.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value e = arr.Get(i);
    std::string where = "element " + std::to_string(i);
    if (!e.IsObject()) {
      Napi::TypeError::New(env, where + ": expected {partition, offset}").ThrowAsJavaScriptException();
      return false;
    }
    Napi::Object o = e.As<Napi::Object>();
    TopicPartition tp;
    Napi::Value t = o.Get("topic");
    if (t.IsString()) tp.topic = t.As<Napi::String>();
    else if (t.IsUndefined() && !topic.empty()) tp.topic = topic;
    else {
      Napi::TypeError::New(env, where + ": topic must be a string").ThrowAsJavaScriptException();
      return false;
    }
    Napi::Value p = o.Get("partition");
    if (!IsInt(p, 0, INT32_MAX)) {
      Napi::TypeError::New(env, where + ": partition must be an integer >= 0").ThrowAsJavaScriptException();
      return false;
    }
    tp.partition = p.As<Napi::Number>().Int32Value();
    Napi::Value off = o.Get("offset");
    if (off.IsUndefined() && !needOffset) tp.offset = RD_KAFKA_OFFSET_INVALID;
    else if (IsInt(off, -2000, 9007199254740991.0)) tp.offset = off.As<Napi::Number>().Int64Value();
    else {
      Napi::TypeError::New(env, where + ": offset must be an integer").ThrowAsJavaScriptException();
      return false;
    }
    out.push_back(tp);
  }
  return true;
}

void ErrorBox::Push(KafkaError e) {
  std::lock_guard<std::mutex> lock(mu_);
  if (e.fatal) fatal_ = true;
  // Bounded: during an outage librdkafka repeats its errors; JS takes them periodically.
  if (errors_.size() < 1000) errors_.push_back(std::move(e));
}

std::vector<KafkaError> ErrorBox::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<KafkaError> out;
  out.swap(errors_);
  return out;
}

bool ErrorBox::HasFatal() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fatal_;
}

void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* box = &static_cast<ClientBase*>(opaque)->errors;
  KafkaError e = FromErr(static_cast<rd_kafka_resp_err_t>(err), reason ? reason : "");
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    // The underlying error: what actually went wrong.
    char buf[512];
    e.code = rd_kafka_fatal_error(rk, buf, sizeof buf);
    e.message = buf;
    e.fatal = true;
  }
  box->Push(std::move(e));
}

void OnLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* c = static_cast<ClientBase*>(rd_kafka_opaque(rk));
  if (!c) return;
  std::lock_guard<std::mutex> lock(c->logMu);
  if (c->logs.size() >= 1000) {
    c->droppedLogs++;  // bounded: a client left unread must not grow without limit
    return;
  }
  c->logs.push_back({level, fac ? fac : "", buf ? buf : ""});
}

Napi::Value TakeLogs(Napi::Env env, ClientBase* c) {
  std::vector<LogLine> lines;
  size_t dropped;
  {
    std::lock_guard<std::mutex> lock(c->logMu);
    lines.swap(c->logs);
    dropped = c->droppedLogs;
    c->droppedLogs = 0;
  }
  if (dropped) lines.push_back({4, "TICKSTREAM", std::to_string(dropped) + " librdkafka log line(s) dropped (not taken in time)"});
  Napi::Array arr = Napi::Array::New(env, lines.size());
  for (size_t i = 0; i < lines.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("level", lines[i].level);
    o.Set("facility", lines[i].facility);
    o.Set("message", lines[i].message);
    arr.Set(i, o);
  }
  return arr;
}

static int OnStats(rd_kafka_t*, char* json, size_t len, void* opaque) {
  auto* c = static_cast<ClientBase*>(opaque);
  std::lock_guard<std::mutex> lock(c->statsMu);
  c->stats.assign(json, len);
  c->statsFresh = true;
  return 0;  // librdkafka frees json
}

Napi::Value TakeStats(Napi::Env env, ClientBase* c) {
  std::lock_guard<std::mutex> lock(c->statsMu);
  if (!c->statsFresh) return env.Null();
  c->statsFresh = false;
  return Napi::String::New(env, c->stats);
}

void SetCommonCallbacks(rd_kafka_conf_t* conf, ClientBase* client) {
  rd_kafka_conf_set_opaque(conf, client);
  rd_kafka_conf_set_stats_cb(conf, OnStats);
  rd_kafka_conf_set_error_cb(conf, OnError);
  rd_kafka_conf_set_log_cb(conf, OnLog);
}

}  // namespace tsn
