// BatchConsumer's declaration and the structs its threads share, for consumer.cc (the
// class, its librdkafka callbacks and its synchronous methods) and consumer_workers.cc (the
// libuv workers and the methods that queue them). The addon's entry point needs only
// consumer.h.
#pragma once
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "common.h"

namespace tsn {

struct RebalanceEvent {
  std::string kind;  // "assign" | "revoke" | "error"
  std::vector<TopicPartition> partitions;
  KafkaError error;
};

// A commit sent with rd_kafka_commit_queue: its outcome arrives through the consumer queue,
// i.e. while consumeBatch (or close) polls, and is settled on the JS thread after that.
struct PendingCommit {
  explicit PendingCommit(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
  void* owner = nullptr;  // the consumer, as its ClientBase
  Napi::ObjectReference keep;  // the consumer stays alive while its commit is pending
  bool done = false;  // under BatchConsumer::commitsMu_
  KafkaError error;
  std::vector<TopicPartition> result;
};

class BatchConsumer : public Napi::ObjectWrap<BatchConsumer>, public ClientBase {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit BatchConsumer(const Napi::CallbackInfo& info);
  ~BatchConsumer() override;

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  std::string topic_;
  std::atomic<bool> closing_{false};
  bool closed_ = false;
  bool consuming_ = false;  // JS thread only
  int inflight_ = 0;        // JS thread only: workers holding rk_
  std::mutex eventsMu_;
  std::vector<RebalanceEvent> events_;
  std::mutex commitsMu_;
  std::vector<PendingCommit*> commits_;  // sent, not yet settled in JS

  // JS thread: settles the commits whose outcome arrived (all of them once closed).
  void SettleCommits(bool all) {
    std::vector<PendingCommit*> ready;
    {
      std::lock_guard<std::mutex> lock(commitsMu_);
      for (auto it = commits_.begin(); it != commits_.end();) {
        if ((*it)->done || all) {
          ready.push_back(*it);
          it = commits_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (PendingCommit* pc : ready) {
      Napi::Env env = pc->deferred.Env();
      if (!pc->done) pc->deferred.Reject(ToJsError(env, FromErr(RD_KAFKA_RESP_ERR__DESTROY, "consumer closed before the commit was answered")).Value());
      else if (pc->error.code) pc->deferred.Reject(ToJsError(env, pc->error).Value());
      else pc->deferred.Resolve(ToJsPartitions(env, pc->result));
      delete pc;
    }
  }

  std::vector<RebalanceEvent> TakeEvents() {
    std::lock_guard<std::mutex> lock(eventsMu_);
    std::vector<RebalanceEvent> out;
    out.swap(events_);
    return out;
  }

 private:
  bool Usable(Napi::Env env);
  Napi::Value Subscribe(const Napi::CallbackInfo& info);
  Napi::Value ConsumeBatch(const Napi::CallbackInfo& info);  // consumer_workers.cc
  Napi::Value Assign(const Napi::CallbackInfo& info);
  Napi::Value Unassign(const Napi::CallbackInfo& info);
  Napi::Value Assignment(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Commit(const Napi::CallbackInfo& info);
  Napi::Value Committed(const Napi::CallbackInfo& info);              // consumer_workers.cc
  Napi::Value QueryWatermarkOffsets(const Napi::CallbackInfo& info);  // consumer_workers.cc
  Napi::Value TakeErrors(const Napi::CallbackInfo& info);
  Napi::Value TakeLogsJs(const Napi::CallbackInfo& info) { return TakeLogs(info.Env(), this); }
  Napi::Value TakeStatsJs(const Napi::CallbackInfo& info) { return TakeStats(info.Env(), this); }
  Napi::Value Close(const Napi::CallbackInfo& info);  // consumer_workers.cc
};

}  // namespace tsn
